import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The kept rejected pushes counted by (kind, measure) as `rejected_pushes` changes, for
 * GET /admin/stats and the rejected-push gauges (REJECTED_PUSH_TOTALS_SQL), which aggregated the
 * whole table at every read: a sender refusing distinct bodies at 1,000 /s made that outlast the
 * statement timeout within hours, and /admin/stats answered 5xx when it was wanted most. Measures:
 * `pushes` (the rows' counts), `distinct_bodies` (rows), `replayed` (rows marked replayed).
 *
 * Row triggers, as for `calls` (migration CountCalls): every writer is counted whatever its SQL —
 * the store's upsert (a retry adds its +1), an operator's replay mark, the retention's delete
 * (whose counts move to `rejected_push_expired_counts` in the same statement). The table is locked
 * while the counts start from what it holds, so no write falls between the two: refused pushes
 * wait for that one scan (answered 503 past the pool's 1.5 s, and retried by the sender).
 */
export class CountRejectedPushes1764001000000 implements MigrationInterface {
  name = 'CountRejectedPushes1764001000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE rejected_push_counts (
        kind    text   NOT NULL,
        measure text   NOT NULL,
        n       bigint NOT NULL,
        PRIMARY KEY (kind, measure)
      )`);
    await q.query(`CREATE TABLE rejected_push_count_changes (kind text NOT NULL, measure text NOT NULL, n bigint NOT NULL)`);
    // no key (writers only insert, the fold deletes them all): see CountCalls
    await q.query(`ALTER TABLE rejected_push_count_changes REPLICA IDENTITY FULL`);
    await q.query(`
      CREATE FUNCTION count_rejected_push_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO rejected_push_count_changes VALUES
            (NEW.kind, 'pushes', NEW.count), (NEW.kind, 'distinct_bodies', 1),
            (NEW.kind, 'replayed', (NEW.replayed_at IS NOT NULL)::int);
        ELSIF TG_OP = 'DELETE' THEN
          INSERT INTO rejected_push_count_changes VALUES
            (OLD.kind, 'pushes', -OLD.count), (OLD.kind, 'distinct_bodies', -1),
            (OLD.kind, 'replayed', -(OLD.replayed_at IS NOT NULL)::int);
        ELSE
          -- a retry's +1 or a replay's mark: only what moved
          INSERT INTO rejected_push_count_changes
          SELECT NEW.kind, m, d FROM (VALUES
            ('pushes', NEW.count - OLD.count),
            ('replayed', (NEW.replayed_at IS NOT NULL)::int - (OLD.replayed_at IS NOT NULL)::int)) v(m, d)
          WHERE d <> 0; -- a row's kind is part of its key: it never changes
        END IF;
        RETURN NULL;
      END $$`);
    // an operator's TRUNCATE fires no row trigger: the counts go with the rows, as a scan's would have
    await q.query(`
      CREATE FUNCTION clear_rejected_push_counts() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM rejected_push_counts;
        DELETE FROM rejected_push_count_changes;
        RETURN NULL;
      END $$`);
    // An old instance's retention page may hold the table for minutes, and every refused push
    // would queue behind this lock meanwhile: fail the start instead (it is tried again).
    await q.query(`SET LOCAL lock_timeout = '10s'`);
    await q.query(`LOCK TABLE rejected_pushes IN SHARE ROW EXCLUSIVE MODE`);
    await q.query(`
      CREATE TRIGGER rejected_pushes_truncated AFTER TRUNCATE ON rejected_pushes
        FOR EACH STATEMENT EXECUTE FUNCTION clear_rejected_push_counts()`);
    await q.query(`
      CREATE TRIGGER rejected_pushes_counted AFTER INSERT OR UPDATE OR DELETE ON rejected_pushes
        FOR EACH ROW EXECUTE FUNCTION count_rejected_push_change()`);
    await q.query(`
      INSERT INTO rejected_push_counts (kind, measure, n)
      SELECT kind, m.measure, m.n FROM (
        SELECT kind, sum(count) AS pushes, count(*) AS distinct_bodies, count(replayed_at) AS replayed
          FROM rejected_pushes GROUP BY kind) t
      CROSS JOIN LATERAL (VALUES ('pushes', t.pushes), ('distinct_bodies', t.distinct_bodies), ('replayed', t.replayed)) m(measure, n)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER rejected_pushes_truncated ON rejected_pushes`);
    await q.query(`DROP FUNCTION clear_rejected_push_counts()`);
    await q.query(`DROP TRIGGER rejected_pushes_counted ON rejected_pushes`);
    await q.query(`DROP FUNCTION count_rejected_push_change()`);
    await q.query(`DROP TABLE rejected_push_count_changes`);
    await q.query(`DROP TABLE rejected_push_counts`);
  }
}
