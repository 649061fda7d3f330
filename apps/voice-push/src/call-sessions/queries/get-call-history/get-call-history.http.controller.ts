import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { EventStore } from '#event-store';
import { isStorableText } from '../../../database/storable-text.js';
import { ERROR_BODY_SCHEMA } from '../../../openapi/answer-schemas.js';

/** The call's stream as stored, in version order (contract §3). */
@ApiTags('queries')
@Controller('v1/calls')
export class GetCallHistoryHttpController {
  constructor(private readonly store: EventStore) {}

  @Get(':callId/history')
  @ApiOperation({ summary: "The call's domain events in version order (contract §3)" })
  @ApiOkResponse({
    description: '[{version, type, occurredAt, recordedAt, data}]',
    schema: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          version: { type: 'integer' },
          type: { type: 'string' },
          occurredAt: { type: 'string', format: 'date-time' },
          recordedAt: { type: 'string', format: 'date-time' },
          data: { type: 'object' },
        },
      },
    },
  })
  @ApiNotFoundResponse({ description: 'no such call', schema: ERROR_BODY_SCHEMA, example: { error: 'NOT_FOUND', message: 'no call NM-0001' } })
  async history(@Param('callId') callId: string): Promise<unknown[]> {
    // a callId with text Postgres cannot hold (U+0000) names no call, and would fail the statement (a 500)
    const events = isStorableText(callId) ? await this.store.readStream(callId) : [];
    if (events.length === 0) throw new NotFoundException({ error: 'NOT_FOUND', message: `no call ${callId}` });
    return events.map((e) => ({
      version: e.version,
      type: e.type,
      occurredAt: e.occurredAt.toISOString(),
      recordedAt: e.recordedAt.toISOString(),
      data: e.data,
    }));
  }
}
