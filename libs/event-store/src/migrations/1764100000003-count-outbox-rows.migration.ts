import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbox rows counted by topic as they are written and deleted (counter-tables.ts, OUTBOX_COUNTS),
 * so the relay backlog does not count the outbox: while Kafka is away it keeps growing (a row per
 * finalised call), and counting it would outlast the statement timeout just when an operator
 * reads the backlog.
 *
 * Statement triggers with transition tables: one small insert per statement that writes rows (an
 * append, a relay batch's delete, a republish); an append that finalises nothing adds none.
 * The table is locked while the counts start from what it holds, so no write falls between the two.
 */
export class CountOutboxRows1764100000003 implements MigrationInterface {
  readonly name = 'CountOutboxRows1764100000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE outbox_counts (topic text PRIMARY KEY, n bigint NOT NULL)`);
    await q.query(`CREATE TABLE outbox_count_changes (topic text NOT NULL, n bigint NOT NULL)`);
    // no key (writers only insert, the fold deletes them all); a publication of all tables (CDC)
    // could not replicate the fold's DELETE without a replica identity
    await q.query(`ALTER TABLE outbox_count_changes REPLICA IDENTITY FULL`);
    await q.query(`
      CREATE FUNCTION count_outbox_rows() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO outbox_count_changes (topic, n) SELECT topic, count(*) FROM written GROUP BY topic;
        ELSE
          INSERT INTO outbox_count_changes (topic, n) SELECT topic, -count(*) FROM removed GROUP BY topic;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`LOCK TABLE outbox IN SHARE ROW EXCLUSIVE MODE`);
    await q.query(`
      CREATE TRIGGER outbox_counted_insert AFTER INSERT ON outbox
        REFERENCING NEW TABLE AS written
        FOR EACH STATEMENT EXECUTE FUNCTION count_outbox_rows()`);
    await q.query(`
      CREATE TRIGGER outbox_counted_delete AFTER DELETE ON outbox
        REFERENCING OLD TABLE AS removed
        FOR EACH STATEMENT EXECUTE FUNCTION count_outbox_rows()`);
    await q.query(`INSERT INTO outbox_counts (topic, n) SELECT topic, count(*) FROM outbox GROUP BY topic`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER outbox_counted_delete ON outbox`);
    await q.query(`DROP TRIGGER outbox_counted_insert ON outbox`);
    await q.query(`DROP FUNCTION count_outbox_rows()`);
    await q.query(`DROP TABLE outbox_count_changes`);
    await q.query(`DROP TABLE outbox_counts`);
  }
}
