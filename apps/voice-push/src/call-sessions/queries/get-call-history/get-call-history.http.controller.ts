import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { EventStore } from '#event-store';

/** The call's stream as stored, in version order (contract §3). */
@Controller('v1/calls')
export class GetCallHistoryHttpController {
  constructor(private readonly store: EventStore) {}

  @Get(':callId/history')
  async history(@Param('callId') callId: string): Promise<unknown[]> {
    const events = await this.store.readStream(callId);
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
