// Deterministic content comparison of pushes: a stable JSON form (object keys sorted, notes sorted,
// undefined dropped) so that equality and tie-breaks never depend on key or note order.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function normalise(value: unknown): Json {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const k of Object.keys(value as Record<string, unknown>).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined) continue;
      out[k] = normalise(v);
    }
    return out;
  }
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  return String(value);
}

/** Stable JSON: sorted keys at every level, undefined members dropped. */
export function stableJson(value: unknown): string {
  return JSON.stringify(normalise(value));
}

/** The canonical content of a push: stable JSON with `notes` in a canonical order. */
export function pushContent(push: { notes: readonly unknown[] }): string {
  const notes = push.notes.map((n) => stableJson(n)).sort();
  return stableJson({ ...push, notes: notes.map((n) => JSON.parse(n) as unknown) });
}

/**
 * The content of `push` as `stored` holds it: only the fields `stored` has, a missing one as null.
 * A push stored before the domain kept some field has no member for it, and a retry of it must
 * still be a duplicate after the upgrade; a push stored since has every field (null when absent),
 * so against it this is the whole content.
 *
 * UNKNOWN_ENUM_VALUE notes are left out on both sides: they follow from fields compared anyway and
 * from the enumeration tables of the version that normalised the push, so a version that flags more
 * (codes inside allEventType) or fewer codes must not turn the retry of an older push into a
 * conflict or a revision. TIME_UNIT_CORRECTED notes stay: they hold the time as sent.
 */
export function contentAsStored(push: { notes: readonly unknown[] }, stored: { notes: readonly unknown[] }): string {
  const shaped: Record<string, unknown> = {};
  for (const field of Object.keys(stored)) shaped[field] = (push as unknown as Record<string, unknown>)[field] ?? null;
  shaped['notes'] = push.notes.filter((n) => (n as { code?: unknown } | null)?.code !== 'UNKNOWN_ENUM_VALUE');
  return pushContent(shaped as { notes: readonly unknown[] });
}

/** A retry of `stored`: the same content as stored holds it (contentAsStored). */
export const sameContentAsStored = (push: { notes: readonly unknown[] }, stored: { notes: readonly unknown[] }): boolean =>
  contentAsStored(stored, stored) === contentAsStored(push, stored);

/** Same content, notes order and object key order ignored. */
export function sameContent(a: { notes: readonly unknown[] }, b: { notes: readonly unknown[] }): boolean {
  return pushContent(a) === pushContent(b);
}

/** Plain string comparison usable in sort (not locale dependent). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
