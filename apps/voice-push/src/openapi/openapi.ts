import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

export const OPENAPI_PATH = '/docs';

/** The files of swagger-ui-dist the page loads (see buildSwaggerHTML of @nestjs/swagger). */
const UI_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

/** swagger-ui-dist as @nestjs/swagger resolves it (its dependency, not ours). */
function swaggerUiDistDir(): string {
  const fromSwagger = createRequire(createRequire(import.meta.url).resolve('@nestjs/swagger'));
  return dirname(fromSwagger.resolve('swagger-ui-dist/package.json'));
}

/**
 * SwaggerModule's UI and JSON routes, with the UI's static files served by a plain route:
 * SwaggerModule.setup() would load @fastify/static for them, whose current major needs
 * require(esm), which the ESM test runner on Node 20 lacks.
 */
class OpenApiDocs extends SwaggerModule {
  static mount(app: NestFastifyApplication, document: () => OpenAPIObject): void {
    const http = app.getHttpAdapter();
    this.serveDocuments(OPENAPI_PATH, OPENAPI_PATH.slice(1), http, document, {
      ui: true,
      raw: ['json', 'yaml'],
      jsonDocumentUrl: `${OPENAPI_PATH}-json`,
      yamlDocumentUrl: `${OPENAPI_PATH}-yaml`,
      swaggerOptions: { customSiteTitle: 'voice-push API' },
    });
    const dir = swaggerUiDistDir();
    const cache = new Map<string, Buffer>();
    for (const prefix of [OPENAPI_PATH, `${OPENAPI_PATH}${OPENAPI_PATH}`]) {
      for (const [file, type] of Object.entries(UI_ASSETS)) {
        app.getHttpAdapter().getInstance().get(`${prefix}/${file}`, async (_req, reply) => {
          let body = cache.get(file);
          if (!body) {
            body = await readFile(join(dir, file));
            cache.set(file, body);
          }
          return reply.header('content-type', type).header('cache-control', 'public, max-age=3600').send(body);
        });
      }
    }
  }
}

/**
 * The OpenAPI page at /docs and its JSON at /docs-json (YAML at /docs-yaml), generated from the
 * controllers' decorators on the first request. Call before listen(). `adminOnOwnPort`: ADMIN_PORT
 * is set, so the admin routes are not served on this port, and not listed.
 */
export function setupOpenApi(app: NestFastifyApplication, adminOnOwnPort: boolean): void {
  const config = new DocumentBuilder()
    .setTitle('voice-push')
    .setDescription(
      'Receives a voice platform’s call status and CDR pushes, keeps them as event-sourced call sessions, ' +
        'reconciles each CDR against the statuses and publishes to Kafka. The external contract is contract.md.' +
        (adminOnOwnPort ? ' The admin API (/admin) listens on ADMIN_PORT only, and is not listed here.' : ''),
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'ADMIN_TOKEN (an opaque string)', description: 'ADMIN_TOKEN, for /admin' }, 'admin')
    .build();
  OpenApiDocs.mount(app, () => {
    const document = SwaggerModule.createDocument(app, config);
    // with ADMIN_PORT set this port answers /admin 404: operations listed here would fail
    if (adminOnOwnPort) for (const path of Object.keys(document.paths)) if (path.startsWith('/admin')) delete document.paths[path];
    return document;
  });
}
