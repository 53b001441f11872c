import type { FastifyReply, FastifyRequest } from 'fastify';
import { queryOption, sendGraphError } from './graphReply';

/** The property names in $select, or undefined when the client did not narrow the answer. */
export function selectedProperties(request: FastifyRequest): string[] | undefined {
  const names = queryOption(request, '$select')
    ?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  return names?.length ? names : undefined;
}

/**
 * Graph refuses a $select naming a property its type does not have (400; the wording is Graph's OData
 * parser's, code assumed). The emulator knows only the properties it serves, a subset of the type
 * (checked against @microsoft/microsoft-graph-types where each record is built): stricter, never laxer.
 * Returns true when it answered.
 */
export function refuseUnknownSelect(
  request: FastifyRequest,
  reply: FastifyReply,
  record: Record<string, unknown>,
  graphType: string,
): boolean {
  const known = new Set(Object.keys(record).map((key) => key.toLowerCase()));
  const unknown = selectedProperties(request)?.find((name) => !known.has(name.toLowerCase()));
  if (unknown === undefined) return false;
  sendGraphError(
    request,
    reply,
    400,
    'Request_BadRequest',
    `Could not find a property named '${unknown}' on type '${graphType}'.`,
  );
  return true;
}

/** Graph returns only what $select names (and any @odata annotations); names match case-insensitively. */
export function pickProperties(record: Record<string, unknown>, names: string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) if (key.startsWith('@odata.')) picked[key] = value;
  for (const name of names) {
    const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
    if (key) picked[key] = record[key];
  }
  return picked;
}
