import type { FastifyRequest } from 'fastify';
import { queryOption } from './graphReply';

/** The property names in $select, or undefined when the client did not narrow the answer. */
export function selectedProperties(request: FastifyRequest): string[] | undefined {
  const names = queryOption(request, '$select')
    ?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  return names?.length ? names : undefined;
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
