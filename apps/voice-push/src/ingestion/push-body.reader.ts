/** Largest body we accept (contract §1). */
export const PUSH_BODY_LIMIT = 64 * 1024;

export type PushKind = 'status' | 'cdr';

export type ReadBody =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; statusCode: 400 | 413 | 415; error: 'INVALID_JSON' | 'PAYLOAD_TOO_LARGE' | 'UNSUPPORTED_MEDIA_TYPE'; message: string };

/** `application/json`, with any parameters (`; charset=utf-8`), case-insensitive. */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  return contentType.split(';')[0].trim().toLowerCase() === 'application/json';
}

/** The checks before validation: content type, size, JSON, a JSON object. */
export function readPushBody(contentType: string | undefined, raw: Buffer): ReadBody {
  if (!isJsonContentType(contentType)) {
    return {
      ok: false,
      statusCode: 415,
      error: 'UNSUPPORTED_MEDIA_TYPE',
      message: `expected Content-Type application/json, got ${contentType ? JSON.stringify(contentType) : 'none'}`,
    };
  }
  if (raw.length > PUSH_BODY_LIMIT) {
    return {
      ok: false,
      statusCode: 413,
      error: 'PAYLOAD_TOO_LARGE',
      message: `body of ${raw.length} bytes is over the ${PUSH_BODY_LIMIT}-byte limit`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    return { ok: false, statusCode: 400, error: 'INVALID_JSON', message: `body is not JSON: ${(error as Error).message}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, statusCode: 400, error: 'INVALID_JSON', message: 'body must be a JSON object' };
  }
  return { ok: true, body: parsed as Record<string, unknown> };
}
