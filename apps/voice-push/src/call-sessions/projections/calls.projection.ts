import { lastPushAt, toCallView, type CallSessionState, type CallView } from '#call-session-domain';
import type { SqlExecutor } from '#event-store';

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
export type CallRowWrite = 'live' | 'rebuild';

function upsertSql(mode: CallRowWrite): string {
  const arrays = COLUMNS.map(([, type], i) => `$${i + 1}::${type === 'jsonb' ? 'text' : type}[]`).join(', ');
  const names = COLUMNS.map(([name]) => name);
  const select = COLUMNS.map(([name, type]) => (type === 'jsonb' ? `${name}::jsonb` : name)).join(', ');
  const data = DATA_COLUMNS.map(([name]) => name);
  const guard =
    mode === 'live'
      ? 'calls.version < EXCLUDED.version'
      : `calls.version <= EXCLUDED.version AND (${data.map((c) => `calls.${c}`).join(', ')}) IS DISTINCT FROM (${data.map((c) => `EXCLUDED.${c}`).join(', ')})`;
  return `
    INSERT INTO calls (${names.join(', ')})
    SELECT ${select} FROM unnest(${arrays}) AS r(${names.join(', ')})
    ON CONFLICT (call_id) DO UPDATE SET ${data.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
    WHERE ${guard}
    RETURNING call_id`;
}
const UPSERT = { live: upsertSql('live'), rebuild: upsertSql('rebuild') };

/** The `calls` row for a state: the view plus the columns the list filters and the sweep use. */
export function callRow(callId: string, state: CallSessionState, view: CallView = toCallView(state)): unknown[] {
  // A stored stream always has a first push; the fallback only satisfies the type.
  const openedAt = view.openedAt || new Date(0).toISOString();
  return [
    callId,
    view.accountId,
    view.status,
    view.reconciliation.status,
    int32OrNull(view.outcome?.callResult),
    view.flags.includes('CDR_OVERDUE'),
    view.version,
    openedAt,
    new Date(lastPushAt(state) ?? Date.parse(openedAt)).toISOString(),
    view.finalizedAt,
    JSON.stringify(view),
  ];
}

/** Codes are open-ended (contract §1); one that does not fit the filter column is simply not filterable. */
function int32OrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= 2 ** 31 - 1 ? value : null;
}

/**
 * Writes many calls' rows in one statement (one round trip for a whole group commit), inside the
 * append's transaction. Returns the ids of the rows written.
 */
export async function upsertCallRows(tx: SqlExecutor, rows: unknown[][], mode: CallRowWrite = 'live'): Promise<string[]> {
  if (rows.length === 0) return [];
  const columns = COLUMNS.map((_, c) => rows.map((row) => row[c]));
  const written = await tx.query<{ call_id: string }>(UPSERT[mode], columns);
  return written.map((r) => r.call_id);
}
