import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sessions counted by (status, reconciliation_status, cdr_overdue) as `calls` changes, for the
 * sessions gauges and GET /admin/stats (call-counts.ts), which counted them with a `GROUP BY` over
 * the whole table at every read.
 *
 * Row triggers, so every writer of `calls` is counted whatever its SQL: the push path's upsert, the
 * projection rebuild (its upsert and its orphan delete), an operator's statement. An update fires
 * only when one of the three columns changes (a call's first push, its finalisation, the overdue
 * flag), not on the status pushes in between, which rewrite the row with the same three: about
 * three change rows per call. Measured beside the push path (three pairs of closed-loop runs) as no
 * difference in throughput; statement triggers with transition tables cost about 4 %, since they
 * copy every updated row (view included) whether it moved or not.
 *
 * The table is locked while the counts start from what it holds, so no write falls between the
 * two: writers wait for this migration's commit (it reads `calls` once).
 */
export class CountCalls1764000600000 implements MigrationInterface {
  name = 'CountCalls1764000600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE call_counts (
        status                text    NOT NULL,
        reconciliation_status text    NOT NULL,
        cdr_overdue           boolean NOT NULL,
        n                     bigint  NOT NULL,
        PRIMARY KEY (status, reconciliation_status, cdr_overdue)
      )`);
    await q.query(`
      CREATE TABLE call_count_changes (
        status                text    NOT NULL,
        reconciliation_status text    NOT NULL,
        cdr_overdue           boolean NOT NULL,
        n                     bigint  NOT NULL
      )`);
    // no key (writers only insert, the fold deletes them all); a publication of all tables (CDC)
    // could not replicate the fold's DELETE without a replica identity
    await q.query(`ALTER TABLE call_count_changes REPLICA IDENTITY FULL`);
    await q.query(`
      CREATE FUNCTION count_call_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP <> 'INSERT' THEN
          INSERT INTO call_count_changes VALUES (OLD.status, OLD.reconciliation_status, OLD.cdr_overdue, -1);
        END IF;
        IF TG_OP <> 'DELETE' THEN
          INSERT INTO call_count_changes VALUES (NEW.status, NEW.reconciliation_status, NEW.cdr_overdue, 1);
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`LOCK TABLE calls IN SHARE ROW EXCLUSIVE MODE`);
    await q.query(`
      CREATE TRIGGER calls_counted AFTER INSERT OR DELETE ON calls
        FOR EACH ROW EXECUTE FUNCTION count_call_change()`);
    await q.query(`
      CREATE TRIGGER calls_counted_when_moved AFTER UPDATE ON calls
        FOR EACH ROW
        WHEN ((OLD.status, OLD.reconciliation_status, OLD.cdr_overdue)
              IS DISTINCT FROM (NEW.status, NEW.reconciliation_status, NEW.cdr_overdue))
        EXECUTE FUNCTION count_call_change()`);
    await q.query(`
      INSERT INTO call_counts (status, reconciliation_status, cdr_overdue, n)
      SELECT status, reconciliation_status, cdr_overdue, count(*) FROM calls GROUP BY 1, 2, 3`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER calls_counted_when_moved ON calls`);
    await q.query(`DROP TRIGGER calls_counted ON calls`);
    await q.query(`DROP FUNCTION count_call_change()`);
    await q.query(`DROP TABLE call_count_changes`);
    await q.query(`DROP TABLE call_counts`);
  }
}
