// Text Postgres cannot store, in `text` or `jsonb`: U+0000, and a UTF-16 surrogate without its pair.
// Both are valid JSON escapes (and valid in a decoded URL), so they reach the service; a value
// holding one fails its statement (22021, 22P05). Pushes holding one are refused as a violation
// (ingestion); what is stored for evidence (the rejected-push store, the admin audit) is escaped.

// eslint-disable-next-line no-control-regex -- U+0000 is what is looked for
export const UNSTORABLE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_TEXT_ALL = new RegExp(UNSTORABLE_TEXT.source, 'g');

export const isStorableText = (text: string): boolean => !UNSTORABLE_TEXT.test(text);

/** The violation's reason for such text (a push's field, a query parameter, an admin input). */
export const UNSTORABLE_TEXT_REASON = 'must not contain U+0000 or an unpaired surrogate (\\u0000, \\ud800…\\udfff escapes)';

/** The text with each unstorable character written as its `\uXXXX` escape. */
export function storableText(text: string): string {
  return text.replace(UNSTORABLE_TEXT_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A JSON value with every string and key made storable (for a jsonb column). */
export function storableJson(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storableJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storableJson(v)]));
  }
  return value;
}
