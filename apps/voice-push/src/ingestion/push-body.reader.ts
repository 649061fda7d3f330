import { isUtf8 } from 'node:buffer';
import { storableText, UNSTORABLE_TEXT } from '../database/storable-text.js';

/** Largest body we accept (contract §1). */
export const PUSH_BODY_LIMIT = 64 * 1024;

/**
 * Deepest nesting of objects and arrays accepted (a push is flat; its only array is allEventType).
 * Past it the body is refused as INVALID_JSON: deep documents overflow recursive serialisers
 * (JSON.stringify, which stores the raw push) and Postgres jsonb.
 */
export const MAX_JSON_DEPTH = 32;

export type PushKind = 'status' | 'cdr';

export type ReadBody =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; statusCode: 400 | 413 | 415; error: 'INVALID_JSON' | 'PAYLOAD_TOO_LARGE' | 'UNSUPPORTED_MEDIA_TYPE'; message: string };

/** `application/json`, with any parameters (`; charset=utf-8`), case-insensitive. */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  return contentType.split(';')[0].trim().toLowerCase() === 'application/json';
}

/** How a push's body was sent: its Content-Type and Content-Encoding headers. */
export interface PushMedia {
  contentType: string | undefined;
  contentEncoding?: string;
}

/** No Content-Encoding, or only `identity`: the body is the JSON as it is. */
export function isIdentityEncoding(contentEncoding: string | undefined): boolean {
  return contentEncoding === undefined || contentEncoding.split(',').every((coding) => ['', 'identity'].includes(coding.trim().toLowerCase()));
}

/**
 * The checks before validation: content type and coding, size, UTF-8, JSON, a JSON object.
 * `bytes`: what the sender sent, when the body was cut while reading (raw-body.parser.ts).
 */
export function readPushBody({ contentType, contentEncoding }: PushMedia, raw: Buffer, bytes = raw.length): ReadBody {
  if (!isJsonContentType(contentType)) {
    return {
      ok: false,
      statusCode: 415,
      error: 'UNSUPPORTED_MEDIA_TYPE',
      message: `expected Content-Type application/json, got ${contentType ? JSON.stringify(contentType) : 'none'}`,
    };
  }
  // A compressed body read as JSON text failed as "not valid UTF-8", which sent its sender looking
  // for a charset problem; 415 is HTTP's answer to a content coding the server does not take.
  if (!isIdentityEncoding(contentEncoding)) {
    return {
      ok: false,
      statusCode: 415,
      error: 'UNSUPPORTED_MEDIA_TYPE',
      message: `Content-Encoding ${JSON.stringify(contentEncoding)} is not accepted: send the JSON uncompressed`,
    };
  }
  if (bytes > PUSH_BODY_LIMIT) {
    return {
      ok: false,
      statusCode: 413,
      error: 'PAYLOAD_TOO_LARGE',
      message: `body of ${bytes} bytes is over the ${PUSH_BODY_LIMIT}-byte limit`,
    };
  }
  // Decoded as UTF-8 regardless, another encoding's bytes would turn into U+FFFD and the push be
  // stored changed; the `charset` parameter is still accepted (contract §1), but not believed.
  if (!isUtf8(raw)) {
    return {
      ok: false,
      statusCode: 400,
      error: 'INVALID_JSON',
      message: 'body is not valid UTF-8: a push must be JSON text in UTF-8 (spec §2.1; RFC 8259 §8.1), whatever charset the Content-Type names',
    };
  }
  if (jsonDepthOver(raw, MAX_JSON_DEPTH)) {
    return { ok: false, statusCode: 400, error: 'INVALID_JSON', message: `body nests objects / arrays deeper than ${MAX_JSON_DEPTH} levels` };
  }
  let parsed: unknown;
  try {
    parsed = parseJsonText(raw);
  } catch (error) {
    return { ok: false, statusCode: 400, error: 'INVALID_JSON', message: `body is not JSON: ${(error as Error).message}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, statusCode: 400, error: 'INVALID_JSON', message: 'body must be a JSON object' };
  }
  return { ok: true, body: parsed as Record<string, unknown> };
}

/**
 * A push body's JSON, parsed (throws when it is not JSON). A byte order mark before it is skipped:
 * a sender must not add one, but a parser may ignore it (RFC 8259 §8.1), and a push refused for it
 * would be refused on every retry, and lost. Every reader of a push body parses it here, so that
 * none refuses what another reads (the signature check reads the accountId before validation).
 */
export function parseJsonText(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether the JSON text nests `{` / `[` deeper than `max` (outside strings), by one pass over the
 * bytes: no parse, no recursion. Malformed text is not judged here (JSON.parse does that).
 */
export function jsonDepthOver(raw: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) {
      inString = true;
    } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}


/**
 * The top-level fields of a parsed body holding text that cannot be stored (in a key or a string,
 * at any depth). Such text can only come from `\u` escapes, so a body without one is not walked.
 */
export function unstorableTextFields(raw: Buffer, body: Record<string, unknown>): string[] {
  if (!raw.includes('\\u')) return [];
  const fields: string[] = [];
  for (const [key, value] of Object.entries(body)) {
    // the name as shown in the violation: its unstorable characters as their JSON escapes
    if (UNSTORABLE_TEXT.test(key) || holdsUnstorableText(value, 0)) fields.push(storableText(key));
  }
  return fields;
}

function holdsUnstorableText(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return UNSTORABLE_TEXT.test(value);
  if (typeof value !== 'object' || value === null || depth > MAX_JSON_DEPTH) return false;
  if (Array.isArray(value)) return value.some((v) => holdsUnstorableText(v, depth + 1));
  for (const [key, v] of Object.entries(value)) if (UNSTORABLE_TEXT.test(key) || holdsUnstorableText(v, depth + 1)) return true;
  return false;
}
