import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Whether a kept rejected push's `raw_body` holds the body's bytes in base64 (a body that is not
 * UTF-8). Said by a column, not only by the note at the end of the `reason`: a reason can end with
 * text the sender chose (a field name it sent), so a sender could make a row of UTF-8 text read as
 * base64, and its replay decode it into garbage.
 */
export class RejectedPushBodyBase641764001300000 implements MigrationInterface {
  name = 'RejectedPushBodyBase641764001300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rejected_pushes ADD COLUMN raw_body_base64 boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rejected_pushes DROP COLUMN raw_body_base64`);
  }
}
