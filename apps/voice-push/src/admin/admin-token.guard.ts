import {
  Inject,
  Injectable,
  NotFoundException,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { APP_CONFIG } from '../config/app-config.provider.js';
import type { AppConfig } from '../config/app-config.js';
import { cameThroughAdminListener } from './admin-listener.js';
import { routeNotFound } from '../http/route-not-found.js';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Every /admin route: `Authorization: Bearer $ADMIN_TOKEN`, compared in constant time over
 * equal-length SHA-256 digests (no early exit on length or on the first differing byte).
 * With no ADMIN_TOKEN configured every call is refused. With ADMIN_PORT set, a call that came in
 * on the push port gets the 404 of an unknown route, before any token check.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected: Buffer | null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.expected = config.adminToken === null ? null : digest(config.adminToken);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (this.config.adminPort !== null && !cameThroughAdminListener(request.raw)) {
      throw new NotFoundException(routeNotFound(request.method, request.url));
    }
    if (this.expected === null) {
      throw new UnauthorizedException({
        error: 'UNAUTHORIZED',
        message: 'ADMIN_TOKEN is not set: the admin API is disabled',
      });
    }
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.authorization ?? '');
    // digest something even without a token, so a missing header costs what a wrong one does
    const presented = digest(match?.[1] ?? '');
    const valid = timingSafeEqual(presented, this.expected) && match !== null;
    if (!valid) {
      throw new UnauthorizedException({
        error: 'UNAUTHORIZED',
        message: match === null ? 'missing Authorization: Bearer token' : 'invalid admin token',
      });
    }
    return true;
  }
}
