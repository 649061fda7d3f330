import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { ID_MAX_LENGTH } from '#contracts';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app-config.js';
import type { EmbeddedDatabase } from './database/embedded-postgres.js';
import { HttpExceptionFilter } from './http/http-exception.filter.js';
import { PushMetrics } from './ingestion/push.metrics.js';
import { answerWhileClosing, lingerBeforeClose } from './http/answer-while-closing.js';
import { answerFrameworkError } from './http/client-error-answer.js';
import { registerPushRequestHook } from './http/push-request.hook.js';
import { HARD_BODY_LIMIT, registerRawBodyParser } from './http/raw-body.parser.js';
import { keepRequestTimeoutWhileClosing, serverTimeouts } from './http/server-timeouts.js';
import { trustProxyOption } from './http/trusted-proxies.js';
import { PinoNestLogger } from './logging/pino-nest.logger.js';
import { setupOpenApi } from './openapi/openapi.js';
import { PushAccessPolicy } from './push-auth/push-access.policy.js';

export interface RunningService {
  app: NestFastifyApplication;
  url: string;
  /** graceful: stop accepting, finish in-flight pushes, flush, close the database */
  close(): Promise<void>;
}

/** How long a stop answers 503 before the HTTP server closes (at most a quarter of SHUTDOWN_TIMEOUT): see lingerBeforeClose. */
const CLOSE_LINGER_MS = 1_000;

/** Builds the Nest application on Fastify (used by main.ts and by the e2e tests). */
export async function createApp(config: AppConfig, logger: Logger, databaseUrl: string): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: HARD_BODY_LIMIT,
    // A sender waits at most 3 s (spec §6.4): slow or silent clients are cut (see server-timeouts.ts).
    ...serverTimeouts(config.httpRequestTimeoutMs),
    // answerWhileClosing answers them, in contract §1's shape (Fastify's own has another)
    return503OnClosing: false,
    trustProxy: trustProxyOption(config.trustedProxies),
    // A callId may have 128 characters (contract §1) as validation counts them: up to three UTF-16
    // units each (a surrogate pair and a variation selector), which is what the router counts. With
    // its default of 100, `/v1/calls/{callId}` and the admin's per-call routes answered an
    // accepted call's longer id 414.
    routerOptions: { maxParamLength: 3 * ID_MAX_LENGTH },
    frameworkErrors: answerFrameworkError,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, databaseUrl), adapter, {
    bodyParser: false,
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  registerRawBodyParser(app.getHttpAdapter().getInstance());
  answerWhileClosing(app.getHttpAdapter().getInstance(), app.get(PushMetrics), logger);
  lingerBeforeClose(app.getHttpAdapter().getInstance(), Math.min(CLOSE_LINGER_MS, config.shutdownTimeoutMs / 4));
  // counted from the linger's end: at most a quarter of the shutdown's budget and then half, so
  // that the drain has the rest
  const cutAfterMs = Math.min(config.httpRequestTimeoutMs, config.shutdownTimeoutMs / 2);
  keepRequestTimeoutWhileClosing(app.getHttpAdapter().getInstance(), cutAfterMs, (connections) =>
    logger.warn({ connections, afterMs: cutAfterMs }, 'shutdown: closed the connections still sending a request (answered 408)'),
  );
  registerPushRequestHook(app.getHttpAdapter().getInstance(), app.get(PushAccessPolicy));
  const errors = new HttpExceptionFilter(app.get(PushMetrics));
  app.useGlobalFilters(errors);
  app.getHttpAdapter().getInstance().addHook('onClose', (_instance, done) => {
    errors.flush();
    done();
  });
  setupOpenApi(app, config.adminPort !== null);
  return app;
}

const EXIT_HOOK_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * Loads the embedded-Postgres module only when it is used, and takes back the signals: the
 * `embedded-postgres` package registers async-exit-hook on import, whose SIGTERM/SIGINT handlers
 * stop every embedded Postgres and process.exit(128 + n) at once, cutting the graceful shutdown
 * of main.ts short (in-flight pushes, relay flush; exit code 143). main.ts stops the app and then
 * the embedded Postgres itself.
 */
async function importEmbeddedPostgres(): Promise<typeof import('./database/embedded-postgres.js')> {
  const before = new Map(EXIT_HOOK_SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const module = await import('./database/embedded-postgres.js');
  for (const signal of EXIT_HOOK_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return module;
}

/** Starts everything: the embedded Postgres when no DATABASE_URL, the app, the listener. */
export async function startService(config: AppConfig, logger: Logger): Promise<RunningService> {
  let embedded: EmbeddedDatabase | null = null;
  let databaseUrl = config.databaseUrl;
  if (databaseUrl === null) {
    const { startEmbeddedPostgres } = await importEmbeddedPostgres();
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
