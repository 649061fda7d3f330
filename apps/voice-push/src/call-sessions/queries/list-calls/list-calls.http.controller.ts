import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CALL_SESSION_STATUSES, RECONCILIATION_STATUSES } from '#call-session-domain';
import { invalidQuery } from '../../../http/invalid-query.js';
import { CALL_VIEW_SCHEMA, ERROR_BODY_SCHEMA, pageLimitParameter } from '../../../openapi/answer-schemas.js';
import { DEFAULT_PAGE, encodeCursor, MAX_PAGE, parseListCallsQuery, TIME_FORMS, type ListCallsQuery } from './list-calls.query.js';

interface CallRow {
  call_id: string;
  opened_at: Date;
  view: unknown;
}

/**
 * Newest first, keyset-paginated on (opened_at, call_id): every filter combination walks an
 * index from the cursor on, so page 1000 costs what page 1 costs.
 */
@ApiTags('queries')
@Controller('v1/calls')
export class ListCallsHttpController {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  @Get()
  @ApiOperation({ summary: 'Calls, newest first, cursor-paginated (contract §3)' })
  @ApiQuery({ name: 'accountId', required: false, type: String })
  @ApiQuery({ name: 'status', required: false, enum: [...CALL_SESSION_STATUSES] })
  @ApiQuery({ name: 'reconciliation', required: false, enum: [...RECONCILIATION_STATUSES] })
  @ApiQuery({ name: 'callResult', required: false, schema: { type: 'integer', format: 'int32' }, description: 'the CDR callResult (decimal digits, - allowed)' })
  @ApiQuery({ name: 'from', required: false, type: String, description: `inclusive (openedAt); ${TIME_FORMS}` })
  @ApiQuery({ name: 'to', required: false, type: String, description: `exclusive (openedAt); ${TIME_FORMS}` })
  @ApiQuery(pageLimitParameter(MAX_PAGE, DEFAULT_PAGE))
  @ApiQuery({ name: 'cursor', required: false, type: String, description: 'nextCursor of the previous page' })
  @ApiOkResponse({
    description: '{items: [call view], nextCursor}',
    schema: {
      type: 'object',
      required: ['items', 'nextCursor'],
      properties: { items: { type: 'array', items: CALL_VIEW_SCHEMA }, nextCursor: { type: 'string', nullable: true } },
    },
  })
  @ApiBadRequestResponse({
    description: 'bad query parameters: each once, no unknown ones',
    schema: ERROR_BODY_SCHEMA,
    example: { error: 'INVALID_QUERY', message: 'bad query parameters', violations: [{ field: 'limit', reason: 'must be an integer from 1 to 500' }] },
  })
  async list(@Query() params: Record<string, unknown>): Promise<{ items: unknown[]; nextCursor: string | null }> {
    const parsed = parseListCallsQuery(params);
    if (!parsed.ok) throw invalidQuery(parsed.violations);
    const { sql, values } = listCallsSql(parsed.query);
    const rows: CallRow[] = await this.db.query(sql, values);
    const page = rows.slice(0, parsed.query.limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => r.view),
      nextCursor:
        rows.length > parsed.query.limit && last
          ? encodeCursor({ openedAt: last.opened_at.toISOString(), callId: last.call_id })
          : null,
    };
  }
}

export function listCallsSql(query: ListCallsQuery): { sql: string; values: unknown[] } {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (condition: (p: string) => string, value: unknown) => {
    values.push(value);
    where.push(condition(`$${values.length}`));
  };
  if (query.accountId !== undefined) add((p) => `account_id = ${p}`, query.accountId);
  if (query.status !== undefined) add((p) => `status = ${p}`, query.status);
  if (query.reconciliation !== undefined) add((p) => `reconciliation_status = ${p}`, query.reconciliation);
  if (query.callResult !== undefined) add((p) => `call_result = ${p}`, query.callResult);
  if (query.from !== undefined) add((p) => `opened_at >= ${p}`, query.from.toISOString());
  if (query.to !== undefined) add((p) => `opened_at < ${p}`, query.to.toISOString());
  if (query.after !== undefined) {
    values.push(query.after.openedAt, query.after.callId);
    where.push(`(opened_at, call_id) < ($${values.length - 1}::timestamptz, $${values.length})`);
  }
  values.push(query.limit + 1);
  const sql = `SELECT call_id, opened_at, view FROM calls
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY opened_at DESC, call_id DESC LIMIT $${values.length}`;
  return { sql, values };
}
