import { BadRequestException, PayloadTooLargeException } from '@nestjs/common';
import { OTHER_BODY_LIMIT, wasCut } from '../http/raw-body.parser.js';

/** What an admin handler answers: the HTTP status and the JSON body. */
export interface AdminAnswer {
  statusCode: number;
  body: unknown;
}

/**
 * The JSON object of a POST body (bodies arrive as raw bytes, see http/raw-body.parser.ts).
 * An empty body is `{}` when `optional`; anything but a JSON object is a 400.
 */
export function jsonObjectBody(raw: unknown, optional: boolean): Record<string, unknown> {
  // read only in part: parsed, it would be refused as broken JSON, which it is not
  if (Buffer.isBuffer(raw) && wasCut(raw)) {
    throw new PayloadTooLargeException({ error: 'PAYLOAD_TOO_LARGE', message: `an admin request body is at most ${OTHER_BODY_LIMIT} bytes` });
  }
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : '';
  if (text.trim() === '') {
    if (optional) return {};
    throw new BadRequestException({ error: 'INVALID_JSON', message: 'a JSON object body is required' });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BadRequestException({ error: 'INVALID_JSON', message: `body is not JSON: ${(error as Error).message}` });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BadRequestException({ error: 'INVALID_JSON', message: 'body must be a JSON object' });
  }
  return parsed as Record<string, unknown>;
}

export function badRequest(message: string): BadRequestException {
  return new BadRequestException({ error: 'INVALID_REQUEST', message });
}
