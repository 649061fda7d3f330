import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config/app-config.js';

export function createRootLogger(level: LogLevel): Logger {
  return pino({ level, base: { service: 'voice-push' }, timestamp: pino.stdTimeFunctions.isoTime });
}

const CALL_ID = /\bcallId=(\S+)/;

/**
 * Nest's logger interface on top of pino: one JSON line per message, with the Nest context as
 * `context` and the call's id lifted into its own `callId` field when the message names one.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.write('info', message, context);
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.write('error', trace ? `${String(message)}\n${trace}` : message, context);
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.write('trace', message, context);
  }
  fatal(message: unknown, context?: string): void {
    this.write('fatal', message, context);
  }

  private write(level: pino.Level, message: unknown, context?: string): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const text = message instanceof Error ? (message.stack ?? message.message) : String(message);
    const callId = CALL_ID.exec(text)?.[1];
    this.logger[level]({ context, ...(callId ? { callId } : {}) }, text);
  }
}
