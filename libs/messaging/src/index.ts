export * from './event-publisher.port.js';
export * from './kafkajs-event-publisher.js';
