export * from './fixed-clock.js';
export * from './push.mother.js';
export * from './commands.mother.js';
export * from './decider-spec.js';
export * from './apply-all.js';
export * from './arbitraries.js';
export * from './reconciliation.helpers.js';
export * from './raw-connection.js';
