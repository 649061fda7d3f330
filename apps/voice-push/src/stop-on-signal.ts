import type { Logger } from 'pino';

/** a second stop signal this soon after the first is the same stop (npm and the terminal both pass a Ctrl-C on) */
export const REPEATED_SIGNAL_MS = 2_000;

/** What stopping needs of the running service. */
export interface Closable {
  close(): Promise<void>;
}

export interface StopOnSignal {
  /** a stop signal came */
  signal(name: string): void;
  /** the start is done: a stop asked for during it is acted on now */
  started(service: Closable): void;
}

/**
 * What a stop signal does, at each moment of the process' life:
 * - during the start with DATABASE_URL: exit at once (nothing of ours outlives the process, and a
 *   migration rolls back);
 * - during the start of an embedded Postgres: stop once started (a signal that ended the process
 *   then would leave that Postgres running on the data directory; the close stops it), unless a
 *   second signal comes: someone who will not wait (initdb, a recovery, a migration can take
 *   minutes) — exit now, and the next start stops a Postgres left running;
 * - once started: the graceful close, within `shutdownTimeoutMs`; a second signal exits now.
 * A second signal within REPEATED_SIGNAL_MS of the first is the same keypress, passed on twice.
 */
export function stopOnSignal(options: {
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** the start's database is the embedded Postgres */
  embedded: boolean;
  shutdownTimeoutMs: number;
  exit: (code: number) => void;
  now?: () => number;
}): StopOnSignal {
  const { logger, exit } = options;
  const now = options.now ?? Date.now;
  let service: Closable | undefined;
  /** the first stop signal, while starting */
  let requested: { signal: string; at: number } | undefined;
  /** when the close began */
  let closingAt: number | null = null;

  const close = (running: Closable, signal: string) => {
    closingAt = now();
    logger.info({ signal }, 'shutting down: finishing in-flight pushes');
    const deadline = setTimeout(() => {
      logger.error('graceful shutdown timed out; exiting');
      exit(1);
    }, options.shutdownTimeoutMs);
    deadline.unref();
    running.close().then(
      () => {
        clearTimeout(deadline);
        logger.info('stopped cleanly');
        exit(0);
      },
      (error: unknown) => {
        clearTimeout(deadline);
        logger.error({ err: error }, 'error while shutting down');
        exit(1);
      },
    );
  };

  return {
    signal(signal) {
      if (!service) {
        if (!options.embedded) {
          logger.info({ signal }, 'stop requested during the start: exiting');
          exit(0);
          return;
        }
        if (!requested) {
          requested = { signal, at: now() };
          logger.info({ signal }, 'stop requested during the start: stopping once started (a second signal exits now)');
          return;
        }
        if (now() - requested.at < REPEATED_SIGNAL_MS) return;
        logger.warn({ signal }, 'second stop signal during the start: exiting now (the next start stops an embedded Postgres left running)');
        exit(1);
        return;
      }
      if (closingAt !== null) {
        if (now() - closingAt < REPEATED_SIGNAL_MS) return;
        logger.warn({ signal }, 'second stop signal: exiting now, without waiting for the drain (what is committed stays; what the relay had not sent goes out after the next start)');
        exit(1);
        return;
      }
      close(service, signal);
    },
    started(running) {
      service = running;
      if (requested) close(running, requested.signal);
    },
  };
}
