// Upstream's callback signature (enumerations.md, "Upstream behaviour"): the callback URL gets
// `?timestamp=<unix seconds>&authCode=<hex>`, with
//   authCode = lowercase hex SHA-256( timestamp + hex(SHA-256(raw body)) + authToken ).
// It is computed over the raw body bytes exactly as received (never a re-serialised JSON).
import { createHash, timingSafeEqual } from 'node:crypto';

const sha256 = (data: Buffer | string): Buffer => createHash('sha256').update(data).digest();

/** The authCode a sender computes for a body, a timestamp and its token. */
export function pushAuthCode(timestamp: string, raw: Buffer, token: string): string {
  return createHash('sha256').update(`${timestamp}${sha256(raw).toString('hex')}${token}`, 'utf8').digest('hex');
}

const HEX_256 = /^[0-9a-fA-F]{64}$/;

/** Whether `authCode` is the signature of (timestamp, raw) under `token`; constant time in the code. */
export function authCodeMatches(authCode: string, timestamp: string, raw: Buffer, token: string): boolean {
  if (!HEX_256.test(authCode)) return false;
  return timingSafeEqual(Buffer.from(pushAuthCode(timestamp, raw, token), 'hex'), Buffer.from(authCode, 'hex'));
}

/** Constant-time equality of two secrets of any length (their hashes are compared). */
export function secretEquals(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}
