import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { isStorableText } from '../../../database/storable-text.js';
import { CALL_VIEW_SCHEMA, ERROR_BODY_SCHEMA } from '../../../openapi/answer-schemas.js';

@ApiTags('queries')
@Controller('v1/calls')
export class GetCallHttpController {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  @Get(':callId')
  @ApiOperation({ summary: 'The call view (contract §3): state, events, normalised CDR, outcome, reconciliation, flags' })
  @ApiOkResponse({ description: 'the call view', schema: CALL_VIEW_SCHEMA })
  @ApiNotFoundResponse({ description: 'no such call', schema: ERROR_BODY_SCHEMA, example: { error: 'NOT_FOUND', message: 'no call NM-0001' } })
  async getCall(@Param('callId') callId: string): Promise<unknown> {
    // a callId with text Postgres cannot hold (U+0000) names no call, and would fail the statement (a 500)
    const rows: { view: unknown }[] = isStorableText(callId) ? await this.db.query('SELECT view FROM calls WHERE call_id = $1', [callId]) : [];
    if (rows.length === 0) throw new NotFoundException({ error: 'NOT_FOUND', message: `no call ${callId}` });
    return rows[0].view;
  }
}
