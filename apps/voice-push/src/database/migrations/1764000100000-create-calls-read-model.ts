import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The `calls` read model: the call view of contract §3 plus the columns its list filters need. */
export class CreateCallsReadModel1764000100000 implements MigrationInterface {
  name = 'CreateCallsReadModel1764000100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE calls (
        call_id               text PRIMARY KEY,
        account_id            text,
        status                text NOT NULL,
        reconciliation_status text NOT NULL,
        call_result           integer,
        cdr_overdue           boolean NOT NULL DEFAULT false,
        version               integer NOT NULL,
        opened_at             timestamptz NOT NULL,
        last_push_at          timestamptz NOT NULL,
        finalized_at          timestamptz,
        view                  jsonb NOT NULL
      )`);
    // Newest first with a (opened_at, call_id) cursor: one index per filter that narrows a lot.
    await q.query(`CREATE INDEX calls_newest ON calls (opened_at DESC, call_id DESC)`);
    await q.query(`CREATE INDEX calls_by_account ON calls (account_id, opened_at DESC, call_id DESC)`);
    await q.query(`CREATE INDEX calls_by_status ON calls (status, opened_at DESC, call_id DESC)`);
    await q.query(
      `CREATE INDEX calls_by_reconciliation ON calls (reconciliation_status, opened_at DESC, call_id DESC)`,
    );
    await q.query(`CREATE INDEX calls_by_call_result ON calls (call_result, opened_at DESC, call_id DESC)`);
    // The overdue sweep reads only open calls not yet flagged: a small partial index.
    await q.query(
      `CREATE INDEX calls_overdue_candidates ON calls (last_push_at) WHERE status = 'OPEN' AND NOT cdr_overdue`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE calls`);
  }
}
