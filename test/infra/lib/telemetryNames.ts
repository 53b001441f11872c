/**
 * The event, metric, property and measurement names a KQL query uses, and a check of them against the
 * telemetry vocabulary (src/core/telemetryVocabulary.ts), the one source of truth.
 */

export interface Vocabulary {
  events: readonly string[];
  metrics: readonly string[];
  properties: readonly string[];
  measurements: readonly string[];
}

export interface NamesUsed {
  events: string[];
  properties: string[];
  measurements: string[];
  /** Comparisons on `name` that cannot be checked (has, contains, regex, …). */
  unverifiable: string[];
}

const quoted = (text: string) => [...text.matchAll(/"([^"]*)"|'([^']*)'/g)].map((m) => m[1] ?? m[2]);

/** Strips `// …` comments (KQL has no other kind) so prose does not count as a query. */
function withoutComments(kql: string): string {
  return kql
    .split('\n')
    .map((line) => {
      let inString: string | null = null;
      for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (inString) {
          if (c === '\\') i++;
          else if (c === inString) inString = null;
        } else if (c === '"' || c === "'") inString = c;
        else if (c === '/' && line[i + 1] === '/') return line.slice(0, i);
      }
      return line;
    })
    .join('\n');
}

export function namesUsed(kql: string): NamesUsed {
  const text = withoutComments(kql);
  const events = new Set<string>();
  const properties = new Set<string>();
  const measurements = new Set<string>();
  const unverifiable: string[] = [];

  for (const m of text.matchAll(/\bname\s*(?:==|=~|!=|!~|=)\s*("[^"]*"|'[^']*')/g))
    quoted(m[1]).forEach((n) => events.add(n));
  for (const m of text.matchAll(/\bname\s+(?:in~?|!in~?)\s*\(([^)]*)\)/g))
    quoted(m[1]).forEach((n) => events.add(n));
  for (const m of text.matchAll(
    /\bname\s+(has|!has|contains|!contains|startswith|endswith|matches\s+regex|has_any|hasprefix|hassuffix)\b/g,
  )) {
    unverifiable.push(m[0]);
  }
  // The Functions host's log line for a poisoned scan starts with the event's name.
  for (const m of text.matchAll(/\bmessage\s+startswith\s+"([A-Za-z]+)/g)) events.add(m[1]);
  for (const m of text.matchAll(/\bcustomDimensions(?:\.([A-Za-z_]\w*)|\[\s*["']([^"']+)["']\s*\])/g))
    properties.add(m[1] ?? m[2]);
  for (const m of text.matchAll(/\bcustomMeasurements(?:\.([A-Za-z_]\w*)|\[\s*["']([^"']+)["']\s*\])/g))
    measurements.add(m[1] ?? m[2]);
  for (const m of text.matchAll(/\bcustom(?:Dimensions|Measurements)\b(?!\s*[.[])/g))
    unverifiable.push(`${m[0]} used whole`);

  return { events: [...events], properties: [...properties], measurements: [...measurements], unverifiable };
}

/** Every name a query uses that the vocabulary does not have; empty when all are known. */
export function checkNames(where: string, kql: string, vocabulary: Vocabulary): string[] {
  const used = namesUsed(kql);
  const problems: string[] = [];
  const events = new Set([...vocabulary.events, ...vocabulary.metrics]);
  for (const name of used.events)
    if (!events.has(name))
      problems.push(`${where}: event "${name}" is not in src/core/telemetryVocabulary.ts EVENTS or METRICS.`);
  for (const name of used.properties)
    if (!vocabulary.properties.includes(name))
      problems.push(`${where}: customDimensions.${name} is not in PROPERTY_NAMES.`);
  for (const name of used.measurements)
    if (!vocabulary.measurements.includes(name))
      problems.push(`${where}: customMeasurements.${name} is not in MEASUREMENT_NAMES.`);
  for (const text of used.unverifiable)
    problems.push(
      `${where}: "${text}" cannot be checked against the vocabulary; compare names exactly (==, in).`,
    );
  return problems;
}

/** Every `query` string in a workbook (Notebook/1.0) JSON, with the item's title. */
export function workbookQueries(workbook: unknown): Array<{ title: string; query: string }> {
  const found: Array<{ title: string; query: string }> = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (typeof record.query === 'string')
        found.push({
          title: typeof record.title === 'string' ? record.title : '(untitled)',
          query: record.query,
        });
      Object.values(record).forEach(walk);
    }
  };
  walk(workbook);
  return found;
}
