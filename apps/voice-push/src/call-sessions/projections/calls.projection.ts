import { lastPushAt, toCallView, type CallSessionState, type CallView } from '#call-session-domain';
import type { AlsoWrite, SqlExecutor } from '#event-store';

const DATA_COLUMNS = [
  ['account_id', 'text'],
  ['status', 'text'],
  ['reconciliation_status', 'text'],
  ['call_result', 'int'],
  ['cdr_overdue', 'bool'],
  ['version', 'int'],
  ['opened_at', 'timestamptz'],
  ['last_push_at', 'timestamptz'],
  ['finalized_at', 'timestamptz'],
  ['view', 'jsonb'],
] as const;
const COLUMNS = [['call_id', 'text'], ...DATA_COLUMNS] as const;

/**
 * `live`: the append's own write, newer versions only. `rebuild`: a version not older than the
 * stored one, and only where something differs (so a rebuild reports what it changed).
 */
type CallRowWrite = 'live' | 'rebuild';

/** A `calls` row: the view plus the columns the list filters and the sweep use. */
export type CallRow = Record<(typeof COLUMNS)[number][0], unknown>;

/**
 * The rows travel as one jsonb parameter, `param` (see the event store's appendSql for why), and
 * are written in call_id order, as the events are: a live batch and a rebuild (or two batches)
 * writing the same calls in different orders could deadlock.
 */
function upsertSql(mode: CallRowWrite, param: string): string {
  const names = COLUMNS.map(([name]) => name);
  const data = DATA_COLUMNS.map(([name]) => name);
  const guard =
    mode === 'live'
      ? 'calls.version < EXCLUDED.version'
      : `calls.version <= EXCLUDED.version AND (${data.map((c) => `calls.${c}`).join(', ')}) IS DISTINCT FROM (${data.map((c) => `EXCLUDED.${c}`).join(', ')})`;
  return `
    INSERT INTO calls (${names.join(', ')})
    SELECT ${names.join(', ')}
    FROM jsonb_to_recordset(${param}::jsonb) AS r(${COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ')})
    ORDER BY call_id COLLATE "C"
    ON CONFLICT (call_id) DO UPDATE SET ${data.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
    WHERE ${guard}
    RETURNING call_id`;
}
/** the live upsert as the event store's AlsoWrite (its rows are `$3`) */
const UPSERT_WITH_APPEND = upsertSql('live', '$3');
const UPSERT_REBUILT = upsertSql('rebuild', '$1');

export function callRow(callId: string, state: CallSessionState, view: CallView = toCallView(state)): CallRow {
  // A stored stream always has a first push; the fallback only satisfies the type.
  const openedAt = view.openedAt || new Date(0).toISOString();
  return {
    call_id: callId,
    account_id: view.accountId,
    status: view.status,
    reconciliation_status: view.reconciliation.status,
    call_result: int32OrNull(view.outcome?.callResult),
    cdr_overdue: view.flags.includes('CDR_OVERDUE'),
    version: view.version,
    opened_at: openedAt,
    last_push_at: new Date(lastPushAt(state) ?? Date.parse(openedAt)).toISOString(),
    finalized_at: view.finalizedAt,
    view,
  };
}

/** Codes are open-ended (contract §1); one that does not fit the filter column is simply not filterable. */
function int32OrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= 2 ** 31 - 1 ? value : null;
}

/** The `calls` rows of a group commit, written in the append's own statement. */
export function callRowsWithAppend(rows: CallRow[]): AlsoWrite {
  return { sql: UPSERT_WITH_APPEND, rows };
}

/** The rebuild's write: many calls' rows in one statement. Returns the ids of the rows it changed. */
export async function upsertRebuiltCallRows(tx: SqlExecutor, rows: CallRow[]): Promise<string[]> {
  if (rows.length === 0) return [];
  const written = await tx.query<{ call_id: string }>(UPSERT_REBUILT, [JSON.stringify(rows)]);
  return written.map((r) => r.call_id);
}
