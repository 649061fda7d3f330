import { CALL_SESSION_STATUSES, RECONCILIATION_STATUSES } from '#call-session-domain';
import { isStorableText, UNSTORABLE_TEXT_REASON } from '../../../database/storable-text.js';

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

export function encodeCursor(cursor: CallsCursor): string {
  return Buffer.from(JSON.stringify([cursor.openedAt, cursor.callId])).toString('base64url');
}

export function decodeCursor(text: string): CallsCursor | null {
  try {
    const [openedAt, callId] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    if (typeof openedAt !== 'string' || typeof callId !== 'string' || Number.isNaN(Date.parse(openedAt))) return null;
    return { openedAt, callId };
  } catch {
    return null;
  }
}

type Violation = { field: string; reason: string };

/** An ISO-8601 date and time of day with no zone designator. */
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/** Turns the query string into a ListCallsQuery or the list of what is wrong with it. */
export function parseListCallsQuery(
  params: Record<string, string | undefined>,
): { ok: true; query: ListCallsQuery } | { ok: false; violations: Violation[] } {
  const violations: Violation[] = [];
  const query: ListCallsQuery = { limit: DEFAULT_PAGE };
  if (params.accountId) {
    if (isStorableText(params.accountId)) query.accountId = params.accountId;
    else violations.push({ field: 'accountId', reason: UNSTORABLE_TEXT_REASON });
  }
  // an unknown value would match no call: a 200 with no items, for a typo such as status=finalized
  const oneOf = (field: 'status' | 'reconciliation', values: readonly string[]) => {
    const raw = params[field];
    if (!raw) return;
    if (values.includes(raw)) query[field] = raw;
    else violations.push({ field, reason: `must be one of ${values.join(', ')}` });
  };
  oneOf('status', CALL_SESSION_STATUSES);
  oneOf('reconciliation', RECONCILIATION_STATUSES);
  if (params.callResult !== undefined && params.callResult !== '') {
    const value = Number(params.callResult);
    // the column is a Postgres integer: a larger value would fail the query (a 500)
    if (Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX) query.callResult = value;
    else violations.push({ field: 'callResult', reason: `must be an integer from ${INT32_MIN} to ${INT32_MAX}` });
  }
  for (const field of ['from', 'to'] as const) {
    const raw = params[field];
    if (!raw) continue;
    const date = /^\d+$/.test(raw) ? new Date(Number(raw)) : new Date(raw);
    // A time of day without a zone would be read in the server's own zone: the same query would
    // answer differently on a host set to UTC+8. A date alone is UTC (as JavaScript reads it).
    if (Number.isNaN(date.getTime()) || LOCAL_TIME.test(raw)) {
      violations.push({ field, reason: 'must be epoch milliseconds, a date, or an ISO-8601 time with its zone (Z or ±hh:mm)' });
    } else query[field] = date;
  }
  if (params.limit !== undefined && params.limit !== '') {
    const value = Number(params.limit);
    if (Number.isInteger(value) && value >= 1 && value <= MAX_PAGE) query.limit = value;
    else violations.push({ field: 'limit', reason: `must be an integer from 1 to ${MAX_PAGE}` });
  }
  if (params.cursor) {
    const after = decodeCursor(params.cursor);
    if (after) query.after = after;
    else violations.push({ field: 'cursor', reason: 'is not a cursor this service gave out' });
  }
  return violations.length > 0 ? { ok: false, violations } : { ok: true, query };
}
