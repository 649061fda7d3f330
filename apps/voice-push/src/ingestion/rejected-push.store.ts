import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { countRowsSql, type CounterTables, type SqlExecutor } from '#event-store';
import { PUSH_BODY_LIMIT, type PushKind } from './push-body.reader.js';
import { storableText } from '../database/storable-text.js';

export interface RejectedPush {
  kind: PushKind;
  statusCode: number;
  reason: string;
  violations: { field: string; reason: string }[];
  contentType: string | undefined;
  raw: Buffer;
  /** what the sender sent, when more than `raw` (a body cut while reading) */
  bytes?: number;
}


/** The longest raw body kept: a whole push may be this long; an oversized one is kept cut to it, and says so. */
const KEPT_BYTES = PUSH_BODY_LIMIT;

/**
 * Keeps every refused push raw with its reason. The same body refused for the same reason again
 * (the sender retries) only counts up, so a retry storm does not fill the table.
 */
@Injectable()
export class RejectedPushStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async keep(rejected: RejectedPush): Promise<void> {
    const bytes = rejected.bytes ?? rejected.raw.length;
    const truncated = bytes > KEPT_BYTES;
    const kept = truncated ? rejected.raw.subarray(0, KEPT_BYTES) : rejected.raw;
    // Postgres text cannot hold NUL; the bytes are kept visible as \u0000 instead.
    const text = storableText(kept.toString('utf8'));
    const hash = createHash('sha256').update(rejected.raw).digest();
    await this.db.query(
      `INSERT INTO rejected_pushes (kind, status_code, reason, violations, content_type, raw_body, body_bytes, truncated, body_sha256)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (kind, md5(reason), body_sha256)
       DO UPDATE SET count = rejected_pushes.count + 1, last_seen_at = now()`,
      [
        rejected.kind,
        rejected.statusCode,
        // a parser's message may quote the body, NUL included
        storableText(rejected.reason),
        JSON.stringify(rejected.violations.map((v) => ({ field: storableText(v.field), reason: storableText(v.reason) }))),
        rejected.contentType ?? null,
        text,
        bytes,
        truncated,
        hash,
      ],
    );
  }
}

/**
 * Marks a kept rejected push as replayed (an operator's replay stored it). When the retention
 * deleted the row between the replay's read and this mark, what the row counted went to
 * `rejected_push_expired_counts` unreplayed; the replay is counted there instead, once (not when the
 * row was marked replayed before, which the expired counts already hold).
 */
export async function markReplayed(db: SqlExecutor, id: string, kind: string, replayedBefore: boolean): Promise<void> {
  await db.query(
    `WITH marked AS (UPDATE rejected_pushes SET replayed_at = now() WHERE id = $1::bigint RETURNING id)
     INSERT INTO rejected_push_expired_counts AS c (kind, pushes, distinct_bodies, replayed)
     SELECT $2, 0, 0, 1 WHERE NOT EXISTS (SELECT 1 FROM marked) AND NOT $3::boolean
     ON CONFLICT (kind) DO UPDATE SET replayed = c.replayed + 1`,
    [id, kind, replayedBefore],
  );
}

/** The kept rows counted by (kind, measure), by a trigger on `rejected_pushes` (migration CountRejectedPushes). */
export const REJECTED_PUSH_COUNTS: CounterTables = Object.freeze({
  totals: 'rejected_push_counts',
  changes: 'rejected_push_count_changes',
  keys: ['kind', 'measure'],
});

/**
 * Per kind: the pushes rejected (the kept rows' counts and the expired ones'), the distinct bodies
 * among them, how many an operator replayed, and how many of those pushes retention deleted. The
 * kept rows' part comes from their counter tables, not from the rows (a scan that outlasted the
 * statement timeout on a large table).
 */
export const REJECTED_PUSH_TOTALS_SQL = `
  SELECT kind, sum(pushes)::text AS n, sum(distinct_bodies)::text AS distinct_bodies,
         sum(replayed)::text AS replayed, sum(expired)::text AS expired
    FROM (SELECT kind, sum(n) FILTER (WHERE measure = 'pushes') AS pushes,
                 sum(n) FILTER (WHERE measure = 'distinct_bodies') AS distinct_bodies,
                 sum(n) FILTER (WHERE measure = 'replayed') AS replayed, 0 AS expired
            FROM (${countRowsSql(REJECTED_PUSH_COUNTS)}) c
           GROUP BY kind
          UNION ALL
          SELECT kind, pushes, distinct_bodies, replayed, pushes FROM rejected_push_expired_counts) t
   GROUP BY kind`;

export interface RejectedPushTotals {
  kind: string;
  n: string;
  distinct_bodies: string;
  replayed: string;
  expired: string;
}
