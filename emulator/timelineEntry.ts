import type { DirectoryAudit } from './auditRecord';

/** What the timeline needs to order and filter an event without rendering it. */
export interface TimelineEntry {
  id: string;
  timeMs: number;
  service: string;
  activity: string;
  late: boolean;
  render: () => DirectoryAudit;
}

export const SSPR_SERVICE = 'Self-service Password Management';
export const POLICY_ACTIVITY = 'Update authorization policy';
