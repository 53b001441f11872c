const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const SHORT = /^(\d+)\s*([smhd])$/i;
const ISO = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i;

/** Parses `90m`, `24h`, `7d` or an ISO 8601 duration such as `PT10M` / `P1DT2H`; undefined if neither. */
export function parseDuration(text: string): number | undefined {
  const value = text.trim();
  const short = SHORT.exec(value);
  if (short) return Number(short[1]) * UNIT_MS[short[2].toLowerCase() as keyof typeof UNIT_MS];
  const iso = ISO.exec(value);
  if (!iso || value.toUpperCase() === 'P' || value.toUpperCase().endsWith('T')) return undefined;
  const [, d, h, m, s] = iso.map((part) => Number(part ?? 0));
  return d * UNIT_MS.d + h * UNIT_MS.h + m * UNIT_MS.m + s * UNIT_MS.s;
}

/**
 * A duration as people write it and as parseDuration reads it back: `30m`, `2h`, `1d`, `90s`. The
 * largest unit that divides it exactly, so 90 minutes stays `90m` rather than becoming `1.5h`.
 */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
