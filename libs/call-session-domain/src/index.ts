// Public API of the pure call-session domain (no framework imports anywhere below).
export * from './domain/push.js';
export * from './domain/commands.js';
export * from './domain/events.js';
export * from './domain/finding.js';
export * from './domain/call-state.js';
export * from './domain/call-session.state.js';
export { decide, type DecideResult, type DecideOutcome } from './domain/decide.js';
export { evolve, evolveAll } from './domain/evolve.js';
export { MAX_PUSHES_PER_CALL, pushesHeld } from './domain/push-limit.js';
export { reactTo } from './domain/reconciliation.process.js';
export {
  reconcile,
  reconciliationStatus,
  reconciliationOf,
  statusOfFindings,
  RECONCILIATION_RULES,
} from './domain/reconciliation/reconcile.js';
export type { ReconciliationRule, ReconciliationContext } from './domain/reconciliation/reconciliation-rule.js';
export * from './domain/call-view.js';
export { stableJson, pushContent, sameContent } from './domain/canonical.js';
