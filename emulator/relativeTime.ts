const RELATIVE = /^([+-])(\d+(?:\.\d+)?)([smhd])$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Scenario times are either relative to the emulator clock ('-30m') or absolute ISO instants with a zone. */
export function isTimeSpec(value: string): boolean {
  return RELATIVE.test(value) || (ISO_WITH_ZONE.test(value) && !Number.isNaN(Date.parse(value)));
}

export function resolveTime(spec: string, now: Date): number {
  const match = RELATIVE.exec(spec);
  if (match) {
    const sign = match[1] === '-' ? -1 : 1;
    return now.getTime() + sign * Number(match[2]) * UNIT_MS[match[3]];
  }
  const absolute = Date.parse(spec);
  if (Number.isNaN(absolute))
    throw new Error(`'${spec}' is neither a relative time like -30m nor an ISO date-time`);
  return absolute;
}
