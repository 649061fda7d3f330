import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app-config.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './database/embedded-postgres.js';
import { HttpExceptionFilter } from './http/http-exception.filter.js';
import { HARD_BODY_LIMIT, registerRawBodyParser } from './http/raw-body.parser.js';
import { PinoNestLogger } from './logging/pino-nest.logger.js';

export interface RunningService {
  app: NestFastifyApplication;
  url: string;
  /** graceful: stop accepting, finish in-flight pushes, flush, close the database */
  close(): Promise<void>;
}

/** Builds the Nest application on Fastify (used by main.ts and by the e2e tests). */
export async function createApp(config: AppConfig, logger: Logger, databaseUrl: string): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: HARD_BODY_LIMIT,
    // A sender waits at most 3 s (spec §6.4); a socket idle far longer than that is let go.
    keepAliveTimeout: 65_000,
    requestTimeout: 30_000,
    return503OnClosing: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, databaseUrl), adapter, {
    bodyParser: false,
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  registerRawBodyParser(app.getHttpAdapter().getInstance());
  app.useGlobalFilters(new HttpExceptionFilter());
  return app;
}

/** Starts everything: the embedded Postgres when no DATABASE_URL, the app, the listener. */
export async function startService(config: AppConfig, logger: Logger): Promise<RunningService> {
  let embedded: EmbeddedDatabase | null = null;
  let databaseUrl = config.databaseUrl;
  if (databaseUrl === null) {
    embedded = await startEmbeddedPostgres(config.dataDir, config.embeddedPostgresPort, logger);
    databaseUrl = embedded.url;
  }
  try {
    const app = await createApp(config, logger, databaseUrl);
    await app.listen(config.port, config.host);
    const url = await app.getUrl();
    return {
      app,
      url,
      close: async () => {
        await app.close();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}
