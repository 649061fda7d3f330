import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

@Controller('v1/calls')
export class GetCallHttpController {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  @Get(':callId')
  async getCall(@Param('callId') callId: string): Promise<unknown> {
    const rows: { view: unknown }[] = await this.db.query('SELECT view FROM calls WHERE call_id = $1', [callId]);
    if (rows.length === 0) throw new NotFoundException({ error: 'NOT_FOUND', message: `no call ${callId}` });
    return rows[0].view;
  }
}
