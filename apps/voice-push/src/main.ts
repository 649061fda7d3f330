import { startService, type RunningService } from './bootstrap.js';
import { ConfigError, loadConfig } from './config/app-config.js';
import { createRootLogger } from './logging/pino-nest.logger.js';

/** a second stop signal this soon after the first is the same stop (npm and the terminal both pass a Ctrl-C on) */
const REPEATED_SIGNAL_MS = 2_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`voice-push: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createRootLogger(config.logLevel);
  // Taken from the first moment: a signal during the start (initdb, migrations) would otherwise
  // end the process at once, leaving an embedded Postgres running on the data directory. It is
  // acted on once the start is done, and the close then stops that Postgres too.
  const started: { service?: RunningService } = {};
  let requested: string | undefined;
  /** when the close began; null until then */
  let closingAt: number | null = null;
  const shutdown = (signal: string) => {
    const service = started.service;
    if (!service) {
      // Only an embedded Postgres needs the start to finish (it is stopped by the close); with
      // DATABASE_URL nothing of ours outlives the process, and a migration rolls back.
      if (config.databaseUrl) {
        logger.info({ signal }, 'stop requested during the start: exiting');
        process.exit(0);
      }
      if (!requested) logger.info({ signal }, 'stop requested during the start: stopping once started');
      requested ??= signal;
      return;
    }
    if (closingAt !== null) {
      // npm passes a Ctrl-C on to node, which the terminal also sent it: one keypress, two signals.
      // A second signal that late is someone who will not wait: the drain is cut short.
      if (Date.now() - closingAt < REPEATED_SIGNAL_MS) return;
      logger.warn({ signal }, 'second stop signal: exiting now, without waiting for the drain (what is committed stays; what the relay had not sent goes out after the next start)');
      process.exit(1);
    }
    closingAt = Date.now();
    logger.info({ signal }, 'shutting down: finishing in-flight pushes');
    const deadline = setTimeout(() => {
      logger.error('graceful shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    service.close().then(
      () => {
        logger.info('stopped cleanly');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));

  const service = await startService(config, logger);
  started.service = service;
  logger.info(
    {
      url: service.url,
      database: config.databaseUrl ? 'DATABASE_URL' : 'embedded',
      kafka: config.kafkaBrokers.length > 0 ? config.kafkaBrokers.join(',') : 'off (KAFKA_BROKERS unset: events wait in Postgres)',
      admin: !config.adminToken ? 'off (ADMIN_TOKEN unset)' : config.adminPort !== null ? `port ${config.adminPort}` : 'on this port',
      cdrOverdueAfterMs: config.cdrOverdueAfterMs,
    },
    'voice-push is listening',
  );
  if (requested) shutdown(requested);
}

main().catch((error: unknown) => {
  process.stderr.write(`voice-push failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
