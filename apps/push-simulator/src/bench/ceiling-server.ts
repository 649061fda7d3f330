/**
 * The machine's HTTP ceiling: a bare Fastify server on the push endpoints that parses the JSON
 * body, as voice-push must, and answers 200 with the contract's acknowledgement — no validation,
 * no storage. Run as a child process by the bench; prints `listening <port>` once ready.
 */
import { acknowledgement, servePushEndpoints } from './serve-push-endpoints.js';

await servePushEndpoints(async (req) => acknowledgement(req.body));
