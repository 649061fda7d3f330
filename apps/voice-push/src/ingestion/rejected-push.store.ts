import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isUtf8 } from 'node:buffer';
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
    const { text, base64 } = keptBody(truncated ? rejected.raw.subarray(0, KEPT_BYTES) : rejected.raw, truncated);
    const hash = createHash('sha256').update(rejected.raw).digest();
    await this.db.query(
      `INSERT INTO rejected_pushes (kind, status_code, reason, violations, content_type, raw_body, body_bytes, truncated, body_sha256, raw_body_base64)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (kind, md5(reason), body_sha256)
       DO UPDATE SET count = rejected_pushes.count + 1, last_seen_at = now()`,
      [
        rejected.kind,
        rejected.statusCode,
        // a parser's message may quote the body, NUL included
        storableText(rejected.reason) + (base64 ? BASE64_BODY_NOTE : ''),
        JSON.stringify(rejected.violations.map((v) => ({ field: storableText(v.field), reason: storableText(v.reason) }))),
        rejected.contentType ?? null,
        text,
        bytes,
        truncated,
        hash,
        base64,
      ],
    );
  }
}

/**
 * Said at the end of the reason of a row whose `raw_body` holds the body's bytes in base64, for whoever
 * reads the row; the code reads `raw_body_base64` (a reason may end with what the sender wrote).
 */
export const BASE64_BODY_NOTE = ' [rawBody: the bytes in base64, they are not UTF-8]';

/**
 * The body as the `raw_body` text. A body that is not UTF-8 (another charset, binary) is kept as
 * base64, said by `raw_body_base64` (and a note at the end of the reason, for people): decoded as UTF-8 its bytes would turn into U+FFFD for
 * good, and latin1 text would read as a valid push once replayed (the replay takes `raw_body` as
 * UTF-8), storing it changed; base64 keeps every byte, and can never be a JSON object, so a replay
 * of the row as it is is refused again.
 */
function keptBody(kept: Buffer, truncated: boolean): { text: string; base64: boolean } {
  // a body cut while reading may end inside a character: what comes before it is still text
  const whole = truncated ? withoutCutCharacter(kept) : kept;
  // Postgres text cannot hold NUL; the bytes are kept visible as \u0000 instead.
  if (isUtf8(whole)) return { text: storableText(whole.toString('utf8')), base64: false };
  return { text: kept.toString('base64'), base64: true };
}

/** What of a kept row tells how its `raw_body` was written. */
export interface KeptRow {
  raw_body: string;
  raw_body_base64: boolean;
  truncated: boolean;
  body_sha256: Buffer;
}

/** The bytes a row's `raw_body` stands for: its base64 decoded for a base64 row, else its text's UTF-8. */
export function keptBytes(row: Pick<KeptRow, 'raw_body_base64' | 'raw_body'>): Buffer {
  return Buffer.from(row.raw_body, row.raw_body_base64 ? 'base64' : 'utf8');
}

/**
 * Whether a whole row's text is known not to be the body received: a row kept before non-UTF-8
 * bodies were kept as base64 holds their bytes decoded, each invalid one turned into U+FFFD, so its
 * text reads as valid UTF-8 and a replay of it would store the push with its text changed. Only rows
 * holding U+FFFD are checked, against the hash of the bytes received: `storableText` wrote each NUL
 * as the six characters `\u0000`, which a body may also hold as they are (a JSON escape), so the
 * text matches either as it is or with those read back as NUL. A body holding U+FFFD, a NUL and a
 * literal `\u0000` matches neither and is taken as changed: its replay then needs the text given.
 */
export function keptTextIsNotTheBody(row: KeptRow): boolean {
  if (row.truncated || row.raw_body_base64 || !row.raw_body.includes('\uFFFD')) return false;
  const readings = [row.raw_body, row.raw_body.replaceAll('\\u0000', '\u0000')];
  return !readings.some((text) => createHash('sha256').update(text, 'utf8').digest().equals(row.body_sha256));
}

/** The bytes without a UTF-8 sequence begun at their end and left unfinished (1–3 bytes), if any. */
function withoutCutCharacter(bytes: Buffer): Buffer {
  for (let back = 1; back <= Math.min(4, bytes.length); back++) {
    const b = bytes[bytes.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: its lead byte is further back
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return length > back ? bytes.subarray(0, bytes.length - back) : bytes;
  }
  return bytes;
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
