import net from 'node:net';
import { startService } from './bootstrap.js';
import { boundPort } from './http/bound-port.js';
import { ConfigError, loadConfig } from './config/app-config.js';
import { createRootLogger } from './logging/pino-nest.logger.js';
import { stopOnSignal } from './stop-on-signal.js';

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
  // end the process at once, leaving an embedded Postgres running on the data directory.
  const stop = stopOnSignal({
    logger,
    embedded: config.databaseUrl === null,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    exit: (code) => process.exit(code),
  });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => stop.signal(signal));

  const service = await startService(config, logger);
  logger.info(
    {
      url: service.url,
      // the url is where a local client reaches it; this is what the socket is bound to (HOST)
      listen: `${net.isIP(config.host) === 6 ? `[${config.host}]` : config.host}:${boundPort(service.app.getHttpServer() as net.Server) ?? config.port}`,
      pushAuth: config.pushAuth.mode,
      database: config.databaseUrl ? 'DATABASE_URL' : 'embedded',
      kafka: config.kafkaBrokers.length > 0 ? config.kafkaBrokers.join(',') : 'off (KAFKA_BROKERS unset: events wait in Postgres)',
      admin: !config.adminToken ? 'off (ADMIN_TOKEN unset)' : config.adminPort !== null ? `port ${config.adminPort}` : 'on this port',
      cdrOverdueAfterMs: config.cdrOverdueAfterMs,
    },
    'voice-push is listening',
  );
  stop.started(service);
}

main().catch((error: unknown) => {
  process.stderr.write(`voice-push failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
