import type { Writable } from 'node:stream';
import { afterAll, beforeAll } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { createApp } from '../../apps/voice-push/src/bootstrap.js';
import { loadConfig } from '../../apps/voice-push/src/config/app-config.js';
import { appMigrations } from '../../apps/voice-push/src/database/database.module.js';
import { createTempDatabase, type TempDatabase } from '../../libs/event-store/src/testing/temp-database.js';
import { TcpFaultProxy } from '../../libs/testing/src/tcp-fault-proxy.js';
import { answerOf } from './http-answer.js';

export interface TestService {
  url: string;
  app: NestFastifyApplication;
  /** a direct connection to the service's database, for assertions */
  db: DataSource;
  /** the proxy between the service and Postgres: cut() plays an outage */
  postgres: TcpFaultProxy;
  post(path: string, body: unknown, contentType?: string): Promise<{ status: number; body: any }>;
  get(path: string): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export interface TestServiceOptions {
  /** a database shared with other instances, created and dropped by the caller; default: its own */
  database?: TempDatabase;
  /** where the service's log lines go; default standard output */
  logTo?: Writable;
}

/**
 * The real service over HTTP on its own throwaway database (or a shared one), reached through a
 * fault proxy. Environment overrides go through the same config loader as production.
 */
export async function startTestService(env: Record<string, string> = {}, options: TestServiceOptions = {}): Promise<TestService> {
  const database: TempDatabase = options.database ?? (await createTempDatabase());
  const target = new URL(database.url);
  const postgres = new TcpFaultProxy(target.hostname, Number(target.port || 5432));
  await postgres.start();
  const proxied = new URL(database.url);
  proxied.port = String(postgres.port);
  proxied.hostname = '127.0.0.1';

  let app: NestFastifyApplication | undefined;
  let url: string;
  let db: DataSource;
  try {
    const config = loadConfig({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', ...env, DATABASE_URL: proxied.toString() });
    const logger = options.logTo ? pino({ level: config.logLevel }, options.logTo) : pino({ level: config.logLevel });
    app = await createApp(config, logger, proxied.toString());
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    db = await database.dataSource(appMigrations);
  } catch (error) {
    // a service that did not start leaves nothing behind: no app, no proxy, no database
    await app?.close().catch(() => undefined);
    await postgres.stop();
    if (!options.database) await database.drop();
    throw error;
  }
  const service = app;

  const call = async (path: string, init?: RequestInit) => {
    return answerOf(await fetch(`${url}${path}`, init));
  };

  return {
    url,
    app: service,
    db,
    postgres,
    post: (path, body, contentType = 'application/json') =>
      call(path, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: typeof body === 'string' || Buffer.isBuffer(body) ? (body as string) : JSON.stringify(body),
      }),
    get: (path) => call(path),
    close: async () => {
      postgres.restore();
      await service.close();
      await postgres.stop();
      if (options.database) await db.destroy();
      else await database.drop();
    },
  };
}

/**
 * One test service for the tests of the calling describe block: started before them (beforeAll),
 * closed after them (afterAll). Call the returned function inside a test or hook to get it.
 */
export function useTestService(env: Record<string, string> = {}, options: TestServiceOptions = {}): () => TestService {
  let service: TestService | undefined;
  beforeAll(async () => {
    service = await startTestService(env, options);
  });
  afterAll(async () => {
    await service?.close();
  });
  return () => {
    if (!service) throw new Error('no test service: use it inside a test of its describe block (or it failed to start)');
    return service;
  };
}
