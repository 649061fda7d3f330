import { lastPushAt, toCallView, type CallSessionState } from '#call-session-domain';
import type { SqlExecutor } from '#event-store';

const UPSERT = `
  INSERT INTO calls (call_id, account_id, status, reconciliation_status, call_result, cdr_overdue,
                     version, opened_at, last_push_at, finalized_at, view)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
  ON CONFLICT (call_id) DO UPDATE SET
    account_id = EXCLUDED.account_id, status = EXCLUDED.status,
    reconciliation_status = EXCLUDED.reconciliation_status, call_result = EXCLUDED.call_result,
    cdr_overdue = EXCLUDED.cdr_overdue, version = EXCLUDED.version, opened_at = EXCLUDED.opened_at,
    last_push_at = EXCLUDED.last_push_at, finalized_at = EXCLUDED.finalized_at, view = EXCLUDED.view
  WHERE calls.version < EXCLUDED.version`;

/** The `calls` row for a state: the view plus the columns the list filters and the sweep use. */
export function callRowParams(callId: string, state: CallSessionState): unknown[] {
  const view = toCallView(state);
  // A stored stream always has a first push; the fallback only satisfies the type.
  const openedAt = view.openedAt ?? new Date(0).toISOString();
  return [
    callId,
    view.accountId,
    view.status,
    view.reconciliation.status,
    view.outcome?.callResult ?? null,
    view.flags.includes('CDR_OVERDUE'),
    view.version,
    openedAt,
    new Date(lastPushAt(state) ?? Date.parse(openedAt)).toISOString(),
    view.finalizedAt,
    JSON.stringify(view),
  ];
}

/** Keeps the read model in step with the stream, inside the append's transaction. */
export async function upsertCallRow(tx: SqlExecutor, callId: string, state: CallSessionState): Promise<void> {
  await tx.query(UPSERT, callRowParams(callId, state));
}
