/** The subset of OData $filter that Graph accepts on auditLogs/directoryAudits and the scanner uses. */
export interface AuditFilter {
  services: string[];
  activities: string[];
  /** `startswith(activityDisplayName,'…')` prefixes, matched case-insensitively. */
  activityPrefixes: string[];
  fromMs: number;
  toMs: number;
}

export class FilterError extends Error {}

const CLAUSE = /^\s*([A-Za-z][\w/]*)\s+(eq|ne|ge|le|gt|lt)\s+('(?:[^']|'')*'|[^\s()']+)\s*/i;
const AND = /^and\s+/i;
const STARTSWITH = /^\s*startswith\(\s*([A-Za-z][\w/]*)\s*,\s*('(?:[^']|'')*')\s*\)\s*/i;
const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})$/;

export function parseAuditFilter(text: string | undefined): AuditFilter {
  const filter: AuditFilter = {
    services: [],
    activities: [],
    activityPrefixes: [],
    fromMs: -Infinity,
    toMs: Infinity,
  };
  if (text === undefined) return filter;
  let rest = text.trim();
  if (rest === '') throw new FilterError('Invalid filter clause: the filter is empty.');
  for (;;) {
    const startsWith = STARTSWITH.exec(rest);
    if (startsWith) {
      // directoryAudit documents startswith on activityDisplayName (and initiator UPNs, not served here).
      if (startsWith[1].toLowerCase() !== 'activitydisplayname')
        throw new FilterError(`Invalid filter clause: startswith is not supported on '${startsWith[1]}'.`);
      filter.activityPrefixes.push(stringLiteral(startsWith[2], startsWith[1]));
      rest = rest.slice(startsWith[0].length);
      if (rest === '') return filter;
      const and = AND.exec(rest);
      if (!and) throw new FilterError(`Invalid filter clause: expected 'and' before '${rest}'.`);
      rest = rest.slice(and[0].length);
      continue;
    }
    const match = CLAUSE.exec(rest);
    if (!match) throw new FilterError(`Invalid filter clause: could not parse '${rest}'.`);
    applyClause(filter, match[1], match[2].toLowerCase(), match[3]);
    rest = rest.slice(match[0].length);
    if (rest === '') return filter;
    const and = AND.exec(rest);
    if (!and) throw new FilterError(`Invalid filter clause: expected 'and' before '${rest}'.`);
    rest = rest.slice(and[0].length);
  }
}

function applyClause(filter: AuditFilter, property: string, operator: string, operand: string): void {
  const name = property.toLowerCase();
  if (name === 'loggedbyservice' || name === 'activitydisplayname') {
    if (operator !== 'eq')
      throw new FilterError(`Invalid filter clause: operator '${operator}' is not supported on ${property}.`);
    const value = stringLiteral(operand, property);
    (name === 'loggedbyservice' ? filter.services : filter.activities).push(value);
    return;
  }
  if (name === 'activitydatetime') {
    // directoryAudit documents eq, ge and le on activityDateTime; gt and lt are not among them.
    if (operator !== 'ge' && operator !== 'le' && operator !== 'eq')
      throw new FilterError(
        `Invalid filter clause: operator '${operator}' is not supported on activityDateTime.`,
      );
    const timeMs = dateTimeLiteral(operand);
    if (operator !== 'le') filter.fromMs = Math.max(filter.fromMs, timeMs);
    if (operator !== 'ge') filter.toMs = Math.min(filter.toMs, timeMs);
    return;
  }
  // result and category are not filterable (directoryAudit documents no $filter on them); the other
  // documented properties are refused too until the scanner needs them: stricter, never laxer.
  throw new FilterError(`Invalid filter clause: filtering on '${property}' is not supported.`);
}

function stringLiteral(operand: string, property: string): string {
  if (!operand.startsWith("'"))
    throw new FilterError(`Invalid filter clause: ${property} must be compared with a quoted string.`);
  return operand.slice(1, -1).replace(/''/g, "'");
}

function dateTimeLiteral(operand: string): number {
  // DateTimeOffset literals are unquoted in OData v4; a quoted one is a type mismatch on Graph.
  const match = ISO.exec(operand);
  if (!match) throw new FilterError(`Invalid filter clause: '${operand}' is not a DateTimeOffset literal.`);
  const millis = (match[2] ?? '.000').slice(0, 4).padEnd(4, '0');
  const parsed = Date.parse(`${match[1]}${millis}${match[3]}`);
  if (Number.isNaN(parsed))
    throw new FilterError(`Invalid filter clause: '${operand}' is not a valid date-time.`);
  return parsed;
}
