import { Controller, Get, HttpCode, NotFoundException, ConflictException, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiQuery } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DataSource } from 'typeorm';
import { PushIngestionService } from '../../ingestion/push-ingestion.service.js';
import type { PushKind } from '../../ingestion/push-body.reader.js';
import { keptBytes, keptTextIsNotTheBody, markReplayed } from '../../ingestion/rejected-push.store.js';
import { AdminAuditService } from '../admin-audit.service.js';
import { invalidQuery, type QueryViolation } from '../../http/invalid-query.js';
import { queryInteger } from '../../http/query-integer.js';
import { badRequest, jsonObjectBody } from '../admin-request.js';
import { AdminEndpoints } from '../admin-endpoints.decorator.js';
import { ERROR_BODY_SCHEMA, PUSH_ACCEPTED_SCHEMA, REJECTED_PUSH_SCHEMA, jsonBody, pageLimitParameter } from '../../openapi/answer-schemas.js';

const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;
const KINDS: readonly string[] = ['status', 'cdr'];

interface RejectedRow {
  id: string;
  kind: PushKind;
  status_code: number;
  reason: string;
  violations: unknown;
  content_type: string | null;
  raw_body: string;
  raw_body_base64: boolean;
  body_bytes: number;
  truncated: boolean;
  count: number;
  first_seen_at: Date;
  last_seen_at: Date;
  replayed_at: Date | null;
}

const COLUMNS = `id::text AS id, kind, status_code, reason, violations, content_type, raw_body, raw_body_base64, body_bytes,
  truncated, count, first_seen_at, last_seen_at, replayed_at`;

function item(r: RejectedRow) {
  return {
    id: r.id,
    kind: r.kind,
    reason: r.reason,
    violations: r.violations,
    rawBody: r.raw_body,
    count: r.count,
    firstSeenAt: r.first_seen_at.toISOString(),
    lastSeenAt: r.last_seen_at.toISOString(),
    statusCode: r.status_code,
    contentType: r.content_type,
    bodyBytes: r.body_bytes,
    truncated: r.truncated,
    replayedAt: r.replayed_at?.toISOString() ?? null,
  };
}

const idOf = (raw: string): string => {
  if (!/^[1-9]\d{0,17}$/.test(raw)) throw new NotFoundException({ error: 'NOT_FOUND', message: `no rejected push ${raw}` });
  return raw;
};

/** a misspelt filter (knd=cdr) would list every kind, which looked filtered */
const LIST_PARAMETERS = ['kind', 'limit', 'cursor'];

/** The rejected-push store (contract §4): list it, and replay a push through the real ingestion. */
@Controller('admin/rejected-pushes')
@AdminEndpoints()
export class RejectedPushesHttpController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly ingestion: PushIngestionService,
    private readonly audit: AdminAuditService,
  ) {}

  /** Newest first (id DESC), keyset cursor = the last id of the page. */
  @Get()
  @ApiOperation({ summary: 'The rejected-push store, newest first, cursor-paginated' })
  @ApiQuery({ name: 'kind', required: false, enum: ['status', 'cdr'] })
  @ApiQuery(pageLimitParameter(MAX_PAGE, DEFAULT_PAGE))
  @ApiQuery({ name: 'cursor', required: false, type: String, description: 'nextCursor of the previous page' })
  @ApiOkResponse({
    description: '{items, nextCursor}',
    schema: { type: 'object', required: ['items', 'nextCursor'], properties: { items: { type: 'array', items: REJECTED_PUSH_SCHEMA }, nextCursor: { type: 'string', nullable: true } } },
  })
  @ApiBadRequestResponse({ description: 'a bad or unknown parameter', schema: ERROR_BODY_SCHEMA })
  async list(@Query() query: Record<string, string | undefined>): Promise<{ items: unknown[]; nextCursor: string | null }> {
    // every bad parameter named at once, as GET /v1/calls does
    const violations: QueryViolation[] = Object.keys(query)
      .filter((name) => !LIST_PARAMETERS.includes(name))
      .map((field) => ({ field, reason: `is not a parameter of this list (${LIST_PARAMETERS.join(', ')})` }));
    const { kind, limit: rawLimit, cursor } = query;
    if (kind !== undefined && kind !== '' && !KINDS.includes(kind)) violations.push({ field: 'kind', reason: 'must be status or cdr' });
    const limit = rawLimit === undefined || rawLimit === '' ? DEFAULT_PAGE : queryInteger(rawLimit, 1, MAX_PAGE);
    if (limit === null) violations.push({ field: 'limit', reason: `must be an integer from 1 to ${MAX_PAGE}` });
    if (cursor !== undefined && cursor !== '' && !/^\d{1,18}$/.test(cursor)) violations.push({ field: 'cursor', reason: 'is not a cursor this service gave out' });
    if (violations.length > 0 || limit === null) throw invalidQuery(violations);
    const where: string[] = [];
    const values: unknown[] = [];
    if (kind) {
      values.push(kind);
      where.push(`kind = $${values.length}`);
    }
    if (cursor) {
      values.push(cursor);
      where.push(`id < $${values.length}::bigint`);
    }
    values.push(limit + 1);
    const rows: RejectedRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM rejected_pushes ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY rejected_pushes.id DESC LIMIT $${values.length}`, // not the text alias `id`
      values,
    );
    const page = rows.slice(0, limit);
    return { items: page.map(item), nextCursor: rows.length > limit ? page.at(-1)!.id : null };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One rejected push, its raw body included' })
  @ApiOkResponse({ description: 'the rejected push', schema: REJECTED_PUSH_SCHEMA })
  @ApiNotFoundResponse({ description: 'no such rejected push', schema: ERROR_BODY_SCHEMA })
  async one(@Param('id') rawId: string): Promise<unknown> {
    const rows: RejectedRow[] = await this.db.query(`SELECT ${COLUMNS} FROM rejected_pushes WHERE id = $1`, [idOf(rawId)]);
    if (rows.length === 0) throw new NotFoundException({ error: 'NOT_FOUND', message: `no rejected push ${rawId}` });
    return item(rows[0]!);
  }

  /**
   * Runs the stored raw body — or the operator's fixed `rawBody` (a string, or a JSON object) —
   * through PushIngestionService.ingest, the path a sender's push takes. Always as
   * `application/json`: replaying is the operator's decision that the body is the JSON push of its
   * kind, so a body refused for its content type (415) is not refused for it again. The answer is
   * the ingestion's own (status and body, as the sender would have had them). The row gets
   * `replayed_at` once the push is stored (accepted, or a duplicate of what is stored); the row
   * itself is never changed otherwise, it stays the evidence of what the sender sent: a replay that
   * is refused again is answered, not kept again, and not counted as a push (the audit row keeps
   * it, with the body given and the answer).
   */
  @Post(':id/replay')
  @ApiOperation({ summary: 'Replay a rejected push (optionally fixed) through the real ingestion' })
  @ApiBody(jsonBody({ rawBody: { type: 'string', description: 'the push, fixed (JSON text); without it the kept body is replayed' } }))
  @ApiOkResponse({ description: "the receiver's own answer: {accepted, duplicate, callId}", schema: PUSH_ACCEPTED_SCHEMA })
  @ApiBadRequestResponse({ description: 'the push is still refused (INVALID_JSON, INVALID_PUSH), or the request body is not a JSON object', schema: ERROR_BODY_SCHEMA })
  @ApiNotFoundResponse({ description: 'no such rejected push', schema: ERROR_BODY_SCHEMA })
  @ApiConflictResponse({ description: 'without a fixed rawBody: the row was kept cut, or an earlier version kept its text changed (not UTF-8)', schema: ERROR_BODY_SCHEMA })
  @HttpCode(200)
  async replay(@Param('id') rawId: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    const args: Record<string, unknown> = { id: rawId };
    const answer = await this.audit.run('replay-rejected-push', args, async () => {
      const id = idOf(rawId);
      const fix = jsonObjectBody(req.body, true).rawBody;
      if (fix !== undefined) args.rawBody = fix;
      let fixed: Buffer | null = null;
      if (typeof fix === 'string') fixed = Buffer.from(fix, 'utf8');
      else if (fix !== null && typeof fix === 'object' && !Array.isArray(fix)) fixed = Buffer.from(JSON.stringify(fix), 'utf8');
      else if (fix !== undefined) throw badRequest('rawBody must be a string or a JSON object');

      const rows: (RejectedRow & { body_sha256: Buffer })[] = await this.db.query(
        `SELECT ${COLUMNS}, body_sha256 FROM rejected_pushes WHERE id = $1`,
        [id],
      );
      const stored = rows[0];
      if (!stored) throw new NotFoundException({ error: 'NOT_FOUND', message: `no rejected push ${id}` });
      args.kind = stored.kind;
      // a base64 row's text is not its bytes: decoded, its length is what was kept, and its replay is
      // refused as not UTF-8, which says why, where its base64 would read as broken JSON
      const kept = keptBytes(stored);
      if (fixed === null && stored.truncated) {
        throw new ConflictException({
          error: 'CONFLICT',
          message: `rejected push ${id} was kept cut to ${kept.length} of its ${stored.body_bytes} bytes; replay it with a fixed rawBody`,
        });
      }
      if (fixed === null && keptTextIsNotTheBody(stored)) {
        throw new ConflictException({
          error: 'CONFLICT',
          message:
            `rejected push ${id}: the kept text is not the bytes received (kept by an earlier version, which turned the bytes ` +
            `that are not UTF-8 into U+FFFD); send the push's text as rawBody`,
        });
      }
      const raw = fixed ?? kept;
      const result = await this.ingestion.replay(stored.kind, raw);
      if (result.statusCode === 200) await markReplayed(this.db, id, stored.kind, stored.replayed_at !== null);
      return { statusCode: result.statusCode, body: result.body };
    });
    reply.status(answer.statusCode);
    return answer.body;
  }
}
