/**
 * A query parameter's integer, written in decimal digits (an optional minus), within [min, max];
 * else null. `Number()` alone took `0x1`, `1e2`, ` 5 ` and the empty string (as 0).
 */
export function queryInteger(text: string, min: number, max: number): number | null {
  if (!/^-?\d{1,16}$/.test(text)) return null;
  const value = Number(text);
  return value >= min && value <= max ? value : null;
}
