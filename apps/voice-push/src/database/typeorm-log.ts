import { Logger as NestLogger } from '@nestjs/common';
import type { Logger as TypeOrmLogger } from 'typeorm';

/**
 * TypeORM's messages in the service's JSON log (Nest's logger, i.e. pino), one line each. Its own
 * console logger wrote several plain-text lines per failed query into that stream, with the
 * query's parameters: the pushes' phone numbers and user data, which have no place in a log.
 * A failed query is logged with its error and the start of its text, never its parameters; the
 * caller that met the error logs what it meant for a push or a command.
 */
export class TypeOrmLog implements TypeOrmLogger {
  private readonly logger: NestLogger;

  constructor(context = 'TypeORM') {
    this.logger = new NestLogger(context);
  }

  logQueryError(error: string | Error, query: string): void {
    const message = error instanceof Error ? error.message : error;
    this.logger.warn(`query failed: ${message} (${oneLine(query)})`);
  }

  /** step by step at debug: the service logs which migrations ran in one line */
  logMigration(message: string): void {
    this.logger.debug(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
    else this.logger.debug(String(message));
  }

  logQuery(): void {}

  logQuerySlow(time: number, query: string): void {
    this.logger.warn(`slow query (${time} ms): ${oneLine(query)}`);
  }

  logSchemaBuild(): void {}
}

const oneLine = (query: string): string => {
  const flat = query.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 160)}…` : flat;
};
