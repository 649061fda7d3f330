/**
 * The machine's HTTP ceiling: a bare Fastify server on the push endpoints that parses the JSON
 * body, as voice-push must, and answers 200 with the contract's acknowledgement — no validation,
 * no storage. Run as a child process by the bench; prints `listening <port>` once ready.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
const acknowledge = async (req: { body: unknown }) => ({
  accepted: true,
  duplicate: false,
  callId: (req.body as { callId?: unknown } | null)?.callId ?? null,
});
app.post('/v1/push/status', acknowledge);
app.post('/v1/push/cdr', acknowledge);

const port = Number(process.env['PORT'] ?? 0);
await app.listen({ port, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : port}\n`);
const stop = () => void app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
