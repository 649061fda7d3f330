import { Controller, Get, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

@Controller('health')
export class HealthHttpController {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  @Get('live')
  @HttpCode(200)
  live(): { status: string } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(): Promise<{ status: string; checks: Record<string, string> }> {
    try {
      await this.db.query('SELECT 1');
    } catch (error) {
      throw new ServiceUnavailableException({ status: 'unavailable', checks: { postgres: (error as Error).message } });
    }
    return { status: 'ok', checks: { postgres: 'up' } };
  }
}
