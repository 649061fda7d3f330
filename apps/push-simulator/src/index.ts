/** The simulator's programmatic API (the bench and tests use it). */
export { runSimulation, type SimulationOptions } from './simulation.js';
export type { SimulationSummary } from './simulation-stats.js';
export { ANOMALIES, NO_ANOMALIES, planCall, type Anomaly, type AnomalyRates, type PlannedCall } from './anomalies.js';
export { CALL_KINDS, DEFAULT_MIX, parseMix, type CallKind, type CallMix } from './call-mix.js';
export { callIdFor, drawCallKind, generateCallFlow, type CallFlow } from './call-flow.generator.js';
export { HttpTransport, type Transport } from './http-transport.js';
export { Prng } from './prng.js';
export type { Push, PushKind, WireBody } from './push.js';
export { deliverWithRetries, MAX_TRIES, RETRY_DELAYS_MS, scaledRetryDelays, type Sleep } from './retry-schedule.js';
export { isAcknowledged, type TryOutcome } from './try-outcome.js';
