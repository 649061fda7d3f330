import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { answerClientError } from '../http/client-error-answer.js';
import { APP_CONFIG } from '../config/app-config.provider.js';
import type { AppConfig } from '../config/app-config.js';
import { boundPort } from '../http/bound-port.js';
import { routeNotFound } from '../http/route-not-found.js';

/** Set on requests that came in through the ADMIN_PORT listener (never by a client). */
const ADMIN_LISTENER = Symbol('voice-push.admin-listener');

export function cameThroughAdminListener(raw: IncomingMessage): boolean {
  return (raw as IncomingMessage & { [ADMIN_LISTENER]?: true })[ADMIN_LISTENER] === true;
}

const isAdminRoute = (url: string | undefined): boolean => url === '/admin' || (url?.startsWith('/admin/') ?? false);

/**
 * ADMIN_PORT: a second Node HTTP server feeding the SAME Fastify instance through its documented
 * `fastify.routing(req, res)` handler (what Fastify's own server calls). Real sockets, no proxying,
 * no `inject` (which also does not run under jest ESM); the one app keeps one set of guards,
 * filters, parsers and DI singletons. Requests from this server are marked; an onRequest hook
 * answers 404 to (a) anything but an /admin route on the admin port and (b) an /admin route on the
 * push port, by the route Fastify matched (after its own URL decoding), so no spelling of the path
 * gets around it. The guard checks the mark again.
 *
 * Lives in the admin module (not bootstrap.ts), so that every way the app is started — main.ts,
 * the e2e harness's createApp()+listen() — gets it: it binds in onApplicationBootstrap (a bind
 * error fails the start-up) and holds requests until Fastify is ready.
 */
@Injectable()
export class AdminListener implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('AdminListener');
  private server: Server | null = null;
  private ready: Promise<void> = Promise.resolve();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    if (this.config.adminToken === null) {
      this.logger.warn('ADMIN_TOKEN is not set: every /admin call will be refused (401)');
    }
    if (this.config.adminPort === null) return;
    const fastify = this.fastify();
    this.ready = new Promise((resolve) => {
      fastify.addHook('onReady', async () => resolve());
    });
    fastify.addHook('onRequest', async (request, reply) => {
      const onAdminPort = cameThroughAdminListener(request.raw);
      if (onAdminPort !== isAdminRoute(request.routeOptions.url)) {
        return reply
          .status(404)
          .header('content-type', 'application/json; charset=utf-8')
          .send(routeNotFound(request.method, request.url));
      }
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.adminPort;
    if (port === null) return;
    const fastify = this.fastify();
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      (req as IncomingMessage & { [ADMIN_LISTENER]?: true })[ADMIN_LISTENER] = true;
      void this.ready.then(() => fastify.routing(req, res));
    });
    server.keepAliveTimeout = 65_000;
    server.requestTimeout = 30_000;
    // its 408 / 400 in contract §1's shape too, as on the push port (else Node's, with no body)
    server.on('clientError', answerClientError);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.logger.error(`admin listener: ${error.message}`));
    this.server = server;
    this.logger.log(`admin API on ${this.config.host}:${this.port() ?? port}; /admin answers 404 on the push port`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 5_000).unref();
    });
  }

  /** The bound port (ADMIN_PORT, or the one the OS chose for 0); null when not listening. */
  port(): number | null {
    return boundPort(this.server);
  }

  private fastify(): FastifyInstance {
    return this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
  }
}
