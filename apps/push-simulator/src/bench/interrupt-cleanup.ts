import { SIGNAL_EXIT_CODES } from '../stop-signals.js';

/**
 * What an interrupted bench (Ctrl-C, SIGTERM) must still undo: the servers it started and its
 * scratch database. Its `finally` blocks do not run when a signal ends the process, and a `kill`
 * of the bench alone left the server it measured running and the database behind.
 */
const pending = new Set<() => Promise<unknown>>();
let interrupted = false;

/** Whether the bench is being stopped: nothing new is started then. */
export const isInterrupted = (): boolean => interrupted;

/** Undoes `undo` if the bench is interrupted; the answer forgets it (once it was undone in order). */
export function undoOnInterrupt(undo: () => Promise<unknown>): () => void {
  pending.add(undo);
  return () => pending.delete(undo);
}

/** For the bench's entry points: on SIGINT or SIGTERM, undo what is pending, newest first, then exit. */
export function installInterruptCleanup(log: (text: string) => void): void {
  // `on`, not `once`: one Ctrl-C may come twice (npm passes it on, the terminal sends it too), and
  // with `once` the second took the default action in the middle of the cleanup.
  for (const [signal, code] of Object.entries(SIGNAL_EXIT_CODES)) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      log(`${signal}: stopping the servers and dropping the scratch database before exiting`);
      void (async () => {
        for (const undo of [...pending].reverse()) await undo().catch(() => undefined);
        process.exit(code);
      })();
    });
  }
}
