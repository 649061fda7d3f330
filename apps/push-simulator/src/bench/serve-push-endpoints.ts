/**
 * A bench server's shell: Fastify on the two push endpoints with one handler, on $PORT at
 * 127.0.0.1; prints `listening <port>` once ready and closes on SIGTERM. The ceiling and the
 * reference servers differ only in the handler, so they differ in nothing else.
 */
import Fastify, { type FastifyRequest } from 'fastify';

export type PushHandler = (req: FastifyRequest) => Promise<unknown>;

export async function servePushEndpoints(handle: PushHandler, onClose: () => Promise<void> = async () => {}): Promise<void> {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  app.post('/v1/push/status', handle);
  app.post('/v1/push/cdr', handle);
  app.addHook('onClose', onClose);
  const port = Number(process.env['PORT'] ?? 0);
  await app.listen({ port, host: '127.0.0.1' });
  const address = app.server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : port}\n`);
  const stop = () => void app.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** the contract's acknowledgement of a push (voice-push answers the same) */
export const acknowledgement = (body: unknown) => ({
  accepted: true,
  duplicate: false,
  callId: (body as { callId?: unknown } | null)?.callId ?? null,
});
