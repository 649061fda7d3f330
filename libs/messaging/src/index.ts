export * from './event-publisher.port.js';
export * from './kafkajs-event-publisher.js';
export * from './publish-size.js';
