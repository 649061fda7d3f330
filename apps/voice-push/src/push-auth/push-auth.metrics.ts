import { Injectable } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';

/** Why a push failed authentication (the `reason` label). */
export type PushAuthFailure =
  | 'ip_not_allowed'
  | 'path_token'
  | 'missing_signature'
  | 'bad_timestamp'
  | 'expired_timestamp'
  | 'unknown_account'
  | 'bad_signature';

/** Authentication failures (audit and enforce) and pushes turned away by the per-sender rate limit. */
@Injectable()
export class PushAuthMetrics {
  private readonly failures: Counter<'mode' | 'reason'>;
  private readonly throttled: Counter;

  constructor(registry: Registry) {
    this.failures = new Counter({
      name: 'voice_push_auth_failures_total',
      help: 'Pushes failing authentication, by PUSH_AUTH_MODE (audit: served anyway; enforce: refused) and reason',
      labelNames: ['mode', 'reason'],
      registers: [registry],
    });
    this.throttled = new Counter({
      name: 'voice_push_rate_limited_total',
      help: 'Pushes answered 503 + Retry-After by the per-sender rate limit (PUSH_RATE_LIMIT)',
      registers: [registry],
    });
  }

  failure(mode: 'audit' | 'enforce', reason: PushAuthFailure): void {
    this.failures.inc({ mode, reason });
  }

  rateLimited(): void {
    this.throttled.inc();
  }
}
