import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The rejected-push store's "same refusal" key indexes a hash of the reason, not the reason itself.
 * A reason quotes what the sender sent (a Content-Type header of up to 16 KiB, the keys of a body
 * holding NUL or lone surrogates), and a btree entry holds at most 2,704 bytes: a longer reason
 * failed the insert, so that refusal was answered 503, never kept, and failed again on every retry.
 * An instance of the version before, still running during a rolling upgrade, names the old key in
 * its upsert and answers a refused push 503 until it is replaced: the sender's retry brings it back.
 * The table is bounded by REJECTED_PUSH_RETENTION, so the index builds quickly, not CONCURRENTLY.
 */
export class RejectedPushReasonHash1764000900000 implements MigrationInterface {
  name = 'RejectedPushReasonHash1764000900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE UNIQUE INDEX rejected_pushes_same_refusal ON rejected_pushes (kind, md5(reason), body_sha256)`);
    await q.query(`ALTER TABLE rejected_pushes DROP CONSTRAINT rejected_pushes_kind_reason_body_sha256_key`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rejected_pushes ADD CONSTRAINT rejected_pushes_kind_reason_body_sha256_key UNIQUE (kind, reason, body_sha256)`);
    await q.query(`DROP INDEX rejected_pushes_same_refusal`);
  }
}
