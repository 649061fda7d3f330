const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `500ms`, `2s`, `40m`, `1h`, `30d` (a bare number is seconds) into milliseconds; null when malformed. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return null;
  const ms = Math.round(Number(match[1]) * UNIT_MS[match[2] ?? 's']);
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

/** The longest delay a Node timer can wait (2^31 − 1 ms, ~596 h): a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
