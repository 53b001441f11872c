export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  /** 0 while unanswered, and for connections the emulator reset on purpose. */
  status: number;
  batchItem?: boolean;
  /** The tenant a Graph request was routed to (by its token). */
  tenantId?: string;
  at: string;
}

export function newLogEntry(method: string, rawUrl: string, batchItem: boolean): RequestLogEntry {
  const url = new URL(rawUrl, 'http://emulator.invalid');
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) if (!(key in query)) query[key] = value;
  const entry: RequestLogEntry = {
    method,
    path: decodePath(url.pathname),
    query,
    status: 0,
    at: new Date().toISOString(),
  };
  if (batchItem) entry.batchItem = true;
  return entry;
}

function decodePath(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname;
  }
}
