import { CALL_SESSION_STATUSES, RECONCILIATION_STATUSES } from '#call-session-domain';
import { isStorableText, UNSTORABLE_TEXT_REASON } from '../../../database/storable-text.js';
import { queryInteger } from '../../../http/query-integer.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** A page request for GET /v1/calls, already validated. */
export interface ListCallsQuery {
  accountId?: string;
  status?: string;
  reconciliation?: string;
  callResult?: number;
  from?: Date;
  to?: Date;
  limit: number;
  /** the last row of the previous page */
  after?: CallsCursor;
}

export interface CallsCursor {
  openedAt: string;
  callId: string;
}

export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 50;

// Years 0001–9999: Postgres has no year 0, and JavaScript writes a year past 9999 as +010000,
// which Postgres refuses: a time outside them would fail the query (a 500).
const EARLIEST_INSTANT = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

const isStorableInstant = (ms: number): boolean => ms >= EARLIEST_INSTANT && ms <= LATEST_INSTANT;

export function encodeCursor(cursor: CallsCursor): string {
  return Buffer.from(JSON.stringify([cursor.openedAt, cursor.callId])).toString('base64url');
}

/** A cursor encodeCursor could have written for a row of `calls`, or null: nothing else reaches the query. */
export function decodeCursor(text: string): CallsCursor | null {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parts) || parts.length !== 2) return null;
  const [openedAt, callId] = parts as unknown[];
  if (typeof openedAt !== 'string' || typeof callId !== 'string') return null;
  const cursor = { openedAt, callId };
  // Base64 and JSON each spell one value many ways; only the service's own spelling is taken.
  // Its time is the toISOString of a stored row: other text JavaScript reads (such as "1", a day
  // in 2001 to V8) Postgres may refuse (a 500) or read in its own session's zone.
  const time = Date.parse(openedAt);
  if (encodeCursor(cursor) !== text || !isStorableInstant(time) || new Date(time).toISOString() !== openedAt) return null;
  return isStorableText(callId) ? cursor : null;
}

const EPOCH_MILLISECONDS = /^\d+$/;
/** A date, or a date and time of day that carries its zone (RFC 3339, `T` or a space between them). */
const DATE_OR_ZONED_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:Z|([+-])(\d{2}):(\d{2})))?$/i;

/** What `from` and `to` accept, for the violation and the API docs. */
export const TIME_FORMS =
  'epoch milliseconds, a date (YYYY-MM-DD, read as UTC) or a date and time with its zone ' +
  '(YYYY-MM-DDThh:mm[:ss[.fff]] then Z or ±hh:mm, a + sent as %2B), in the years 0001 to 9999';

/**
 * The one place that decides what `from` and `to` may be: the instant in epoch milliseconds, or
 * null. It reads only forms that name one instant whatever the host's zone, and reads them by
 * hand: `new Date()` reads a zoneless time of day (in any of its spellings) in the host's zone,
 * and rolls 2024-02-30 over to 1 March.
 */
function parseTimeParameter(text: string): number | null {
  if (EPOCH_MILLISECONDS.test(text)) {
    const ms = Number(text);
    return isStorableInstant(ms) ? ms : null;
  }
  const match = DATE_OR_ZONED_TIME.exec(text);
  if (!match) return null;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = match.slice(1, 7).map((field) => Number(field ?? 0));
  const [fraction = '', sign, zoneHours = '0', zoneMinutes = '0'] = match.slice(7);

  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0–99 as 1900–1999
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second);
  const asWritten =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  if (!asWritten || Number(zoneHours) > 23 || Number(zoneMinutes) > 59) return null;

  // Stored times are whole milliseconds, so rounding a finer time up keeps both `opened_at >= from`
  // and `opened_at < to` exact (rounded down, `from` would let in a call opened just before it).
  const milliseconds = Number(fraction.slice(0, 3).padEnd(3, '0')) + (/[1-9]/.test(fraction.slice(3)) ? 1 : 0);
  const offsetMinutes = (sign === '-' ? -1 : 1) * (Number(zoneHours) * 60 + Number(zoneMinutes));
  const ms = date.getTime() + milliseconds - offsetMinutes * 60_000;
  return isStorableInstant(ms) ? ms : null;
}

type Violation = { field: string; reason: string };

const FIELDS = ['accountId', 'status', 'reconciliation', 'callResult', 'from', 'to', 'limit', 'cursor'] as const;
type Field = (typeof FIELDS)[number];

/**
 * Each parameter's one value; an empty one is absent. A repeated parameter arrives as an array,
 * which read as text was "a,b": an accountId that matched nothing, a `from` of "1,2" (2001 to V8).
 */
function singleValues(input: Record<string, unknown>, violations: Violation[]): Partial<Record<Field, string>> {
  const params: Partial<Record<Field, string>> = {};
  // a misspelt filter (acountId=…) was ignored: a 200 with every call, which looked filtered
  for (const name of Object.keys(input)) {
    if (!(FIELDS as readonly string[]).includes(name)) violations.push({ field: name, reason: `is not a parameter of this list (${FIELDS.join(', ')})` });
  }
  for (const field of FIELDS) {
    const raw = input[field];
    if (raw === undefined || raw === '') continue;
    if (typeof raw === 'string') params[field] = raw;
    else violations.push({ field, reason: Array.isArray(raw) ? 'must be given once' : 'must be text' });
  }
  return params;
}

/** Turns the query string into a ListCallsQuery or the list of what is wrong with it. */
export function parseListCallsQuery(
  input: Record<string, unknown>,
): { ok: true; query: ListCallsQuery } | { ok: false; violations: Violation[] } {
  const violations: Violation[] = [];
  const params = singleValues(input, violations);
  const query: ListCallsQuery = { limit: DEFAULT_PAGE };
  if (params.accountId !== undefined) {
    if (isStorableText(params.accountId)) query.accountId = params.accountId;
    else violations.push({ field: 'accountId', reason: UNSTORABLE_TEXT_REASON });
  }
  // an unknown value would match no call: a 200 with no items, for a typo such as status=finalized
  const oneOf = (field: 'status' | 'reconciliation', values: readonly string[]) => {
    const raw = params[field];
    if (raw === undefined) return;
    if (values.includes(raw)) query[field] = raw;
    else violations.push({ field, reason: `must be one of ${values.join(', ')}` });
  };
  oneOf('status', CALL_SESSION_STATUSES);
  oneOf('reconciliation', RECONCILIATION_STATUSES);
  if (params.callResult !== undefined) {
    // the column is a Postgres integer: a larger value would fail the query (a 500)
    const value = queryInteger(params.callResult, INT32_MIN, INT32_MAX);
    if (value !== null) query.callResult = value;
    else violations.push({ field: 'callResult', reason: `must be an integer from ${INT32_MIN} to ${INT32_MAX}` });
  }
  for (const field of ['from', 'to'] as const) {
    const raw = params[field];
    if (raw === undefined) continue;
    const ms = parseTimeParameter(raw);
    if (ms === null) violations.push({ field, reason: `must be ${TIME_FORMS}` });
    else query[field] = new Date(ms);
  }
  if (params.limit !== undefined) {
    const value = queryInteger(params.limit, 1, MAX_PAGE);
    if (value !== null) query.limit = value;
    else violations.push({ field: 'limit', reason: `must be an integer from 1 to ${MAX_PAGE}` });
  }
  if (params.cursor !== undefined) {
    const after = decodeCursor(params.cursor);
    if (after) query.after = after;
    else violations.push({ field: 'cursor', reason: 'is not a cursor this service gave out' });
  }
  return violations.length > 0 ? { ok: false, violations } : { ok: true, query };
}
