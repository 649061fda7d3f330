import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Every refused push, raw, with its reason; the same body refused again only bumps its count. */
export class CreateRejectedPushes1764000200000 implements MigrationInterface {
  name = 'CreateRejectedPushes1764000200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE rejected_pushes (
        id            bigserial PRIMARY KEY,
        kind          text NOT NULL,
        status_code   integer NOT NULL,
        reason        text NOT NULL,
        violations    jsonb NOT NULL DEFAULT '[]',
        content_type  text,
        raw_body      text NOT NULL,
        body_bytes    integer NOT NULL,
        truncated     boolean NOT NULL DEFAULT false,
        body_sha256   bytea NOT NULL,
        count         integer NOT NULL DEFAULT 1,
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at  timestamptz NOT NULL DEFAULT now(),
        replayed_at   timestamptz,
        UNIQUE (kind, reason, body_sha256)
      )`);
    // Listed newest first by id (a stable cursor), optionally by kind.
    await q.query(`CREATE INDEX rejected_pushes_by_kind ON rejected_pushes (kind, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE rejected_pushes`);
  }
}
