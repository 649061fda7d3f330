// libs/contracts: the wire formats of both pushes, their validation and normalisation, the
// enumerations with labels, the answers of the push receivers and the Kafka envelopes.
export * from './enumerations.js';
export * from './push-violation.js';
export * from './push-field.decorators.js';
export * from './status-push.request.dto.js';
export * from './cdr-push.request.dto.js';
export * from './compile-dto-validator.js';
export * from './normalise-push.js';
export * from './validate-push.js';
export * from './push-answers.js';
export * from './kafka-envelopes.js';
