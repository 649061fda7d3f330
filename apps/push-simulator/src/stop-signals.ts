// What a stop signal means to the simulator and its bench, as to the service (stop-on-signal.ts).
export { REPEATED_SIGNAL_MS } from '../../voice-push/src/stop-on-signal.js';

/** The exit code of a run a signal ended: 128 + the signal's number, as a shell reports it. */
export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
export type StopSignal = keyof typeof SIGNAL_EXIT_CODES;
