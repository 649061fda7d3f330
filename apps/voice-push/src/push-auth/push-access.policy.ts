import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/app-config.provider.js';
import { wasCut } from '../http/raw-body.parser.js';
import { senderKey, SenderRateLimiter } from '../http/sender-rate-limiter.js';
import { parseJsonText, PUSH_BODY_LIMIT } from '../ingestion/push-body.reader.js';
import { RepeatedWarning } from '../logging/repeated-warning.js';
import { IpAllowlist } from './ip-allowlist.js';
import { PushAuthMetrics, type PushAuthFailure } from './push-auth.metrics.js';
import { authCodeMatches, secretEquals } from './push-signature.js';

/** An answer that ends a push before ingestion. */
export interface PushRefusal {
  statusCode: 401 | 403 | 404 | 503;
  body: { error: string; message: string };
  headers?: Record<string, string>;
}

export interface PushRequestFacts {
  kind: 'status' | 'cdr';
  ip: string | undefined;
  query: unknown;
  raw: Buffer;
}

const MESSAGES: Record<PushAuthFailure, string> = {
  ip_not_allowed: 'the sender address is not allowed to push',
  path_token: 'not found',
  missing_signature: 'the push must be signed: ?timestamp=<unix seconds>&authCode=<hex>',
  bad_timestamp: 'timestamp must be unix seconds',
  expired_timestamp: 'timestamp is outside the allowed window',
  unknown_account: 'no push token is configured for this account',
  bad_signature: 'authCode does not match the body',
};

const SECONDS = /^\d{1,12}$/;

/** what a path that is no receiver is answered: the path-token refusal's body, so the two look alike */
const NO_SUCH_RECEIVER: PushRefusal = { statusCode: 404, body: { error: 'NOT_FOUND', message: MESSAGES.path_token } };

/**
 * Who may push (contract §1 says no signature; all of this is optional, see PUSH_AUTH_MODE):
 * - admit(), admitPath(): before the body is read — IP allow-list, per-sender rate limit, the
 *   secret path segment;
 * - verify(): with the raw body — upstream's signature.
 * In audit mode every failure is logged and counted, and the push is served; in enforce mode it is
 * refused. Secrets (tokens, path token, authCode) are never logged; comparisons are constant time.
 */
@Injectable()
export class PushAccessPolicy implements OnApplicationShutdown {
  private readonly logger = new Logger('PushAuth');
  private readonly allowlist: IpAllowlist | null;
  private readonly rateLimiter: SenderRateLimiter | null;
  /** per reason: its first failure in a window is logged as it comes, the others counted and told at the window's end */
  private readonly warnings = new Map<PushAuthFailure, RepeatedWarning>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: PushAuthMetrics,
  ) {
    const { pushAuth, pushRateLimit } = config;
    this.allowlist = pushAuth.mode !== 'off' && pushAuth.ipAllowlist ? new IpAllowlist(pushAuth.ipAllowlist) : null;
    this.rateLimiter = pushRateLimit.perSecond ? new SenderRateLimiter(pushRateLimit.perSecond, pushRateLimit.burst) : null;
  }

  /** Before the body is read: the IP allow-list, then the sender's rate limit. */
  admit(ip: string | undefined): PushRefusal | null {
    if (this.allowlist && !this.allowlist.allows(ip)) {
      const refusal = this.fail('ip_not_allowed', 403, 'FORBIDDEN', `ip=${ip ?? 'unknown'}`);
      if (refusal) return refusal;
    }
    if (this.rateLimiter) {
      const decision = this.rateLimiter.take(senderKey(ip));
      if (!decision.allowed) {
        this.metrics.rateLimited();
        // Not refused content (nothing is kept): the sender's retry schedule brings it again.
        return {
          statusCode: 503,
          body: { error: 'UNAVAILABLE', message: `too many pushes from this sender; retry after ${decision.retryAfterSeconds} s` },
          headers: { 'retry-after': String(decision.retryAfterSeconds) },
        };
      }
    }
    return null;
  }

  /**
   * Before the body is read: the secret path segment. A token path while none is configured names
   * no receiver (404, not counted); a missing or wrong token is counted, and refused 404 in enforce
   * mode. Checked with the body, a stranger's body over the 8 MiB hard limit on such a path was
   * answered 413 and counted as a push, telling him a receiver was there. `pathToken`: the
   * `{token}` of `/v1/push/{token}/…`; undefined on the plain paths.
   */
  admitPath(kind: PushRequestFacts['kind'], pathToken: string | undefined, ip: string | undefined): PushRefusal | null {
    if (pathToken !== undefined && this.config.pushAuth.pathToken === null) return NO_SUCH_RECEIVER;
    if (this.pathTokenHolds(pathToken)) return null;
    return this.fail('path_token', 404, 'NOT_FOUND', `${kind} push ${pathToken === undefined ? 'on the plain path' : 'with a wrong path token'}, ip=${ip ?? 'unknown'}`);
  }

  private pathTokenHolds(pathToken: string | undefined): boolean {
    const expected = this.config.pushAuth.pathToken;
    return expected === null || (pathToken !== undefined && secretEquals(pathToken, expected));
  }

  /**
   * With the raw body: upstream's signature. The path token is admitPath's alone, from the request
   * hook every receiver carries (push.http.controller.spec checks each has the mark it runs on).
   */
  verify(facts: PushRequestFacts): PushRefusal | null {
    if (this.config.pushAuth.mode === 'off') return null;
    // A body over the push limit is read only to limit + 1 bytes (raw-body.parser.ts), so its
    // signature, over the whole body, cannot be checked: checked, a correctly signed one would be
    // refused 401, and its sender never told that it is too large. Not checked, it is neither
    // refused nor counted here: ingestion refuses it whatever it holds (413, or 415 for a wrong
    // content type), and keepsRefusal says whether that refusal is kept.
    if (this.signaturesRequired && !wasCut(facts.raw)) {
      const failure = this.signatureFailure(facts);
      if (failure) {
        const refusal = this.fail(failure, 401, 'UNAUTHORIZED', `${facts.kind} push, ip=${facts.ip ?? 'unknown'}`);
        if (refusal) return refusal;
      }
    }
    return null;
  }

  /**
   * Whether a refusal of this push by ingestion may be kept in the rejected-push store. Not, in
   * enforce mode, for a body whose signature could not be checked (cut while reading, see verify):
   * the rule of every authentication refusal, so that who has no token cannot fill the store with
   * 64 KiB rows. Such a push is still answered 413, counted among the pushes and logged: a sender
   * who signs learns that its push is too large, which no signature would change.
   */
  keepsRefusal(raw: Buffer): boolean {
    return !(this.config.pushAuth.mode === 'enforce' && this.signaturesRequired && wasCut(raw));
  }

  private get signaturesRequired(): boolean {
    const { pushAuth } = this.config;
    return pushAuth.mode !== 'off' && (pushAuth.defaultToken !== null || pushAuth.accountTokens.size > 0);
  }

  private signatureFailure(facts: PushRequestFacts): PushAuthFailure | null {
    const query = (typeof facts.query === 'object' && facts.query !== null ? facts.query : {}) as Record<string, unknown>;
    const { timestamp, authCode } = query;
    if (typeof timestamp !== 'string' || typeof authCode !== 'string' || timestamp === '' || authCode === '') return 'missing_signature';
    if (!SECONDS.test(timestamp)) return 'bad_timestamp';
    if (Math.abs(Date.now() - Number(timestamp) * 1000) > this.config.pushAuth.maxSkewMs) return 'expired_timestamp';
    const token = this.tokenFor(facts.raw);
    if (token === null) return 'unknown_account';
    return authCodeMatches(authCode, timestamp, facts.raw, token) ? null : 'bad_signature';
  }

  /** The account's own token when it has one, else the default token. */
  private tokenFor(raw: Buffer): string | null {
    const { accountTokens, defaultToken } = this.config.pushAuth;
    if (accountTokens.size > 0 && raw.length <= PUSH_BODY_LIMIT) {
      let accountId: unknown;
      try {
        accountId = (parseJsonText(raw) as { accountId?: unknown } | null)?.accountId;
      } catch {
        accountId = undefined;
      }
      if (typeof accountId === 'string') {
        const own = accountTokens.get(accountId);
        if (own !== undefined) return own;
      }
    }
    return defaultToken;
  }

  /** Counts and logs a failure; the refusal in enforce mode, null in audit mode. */
  private fail(reason: PushAuthFailure, statusCode: 401 | 403 | 404, error: string, context: string): PushRefusal | null {
    const mode = this.config.pushAuth.mode === 'enforce' ? 'enforce' : 'audit';
    this.metrics.failure(mode, reason);
    this.log(reason, mode, context);
    if (mode === 'audit') return null;
    return { statusCode, body: { error, message: MESSAGES[reason] } };
  }

  /**
   * A stranger's flood of failures must not flood the log, nor hide in it: the count of a burst is
   * told when its window ends (it was told only with the next failure of that reason, if one came).
   */
  private log(reason: PushAuthFailure, mode: string, context: string): void {
    const said = (what: string) => `push authentication failed (${mode}): ${reason}: ${what}${mode === 'audit' ? '; served anyway (audit mode)' : ''}`;
    let warning = this.warnings.get(reason);
    if (!warning) {
      warning = new RepeatedWarning(
        (line) => this.logger.warn(line),
        (n, windowMs) => said(`${n} more in the last ${windowMs / 1000} s`),
      );
      this.warnings.set(reason, warning);
    }
    warning.note(said(context), context);
  }

  onApplicationShutdown(): void {
    for (const warning of this.warnings.values()) warning.flush();
  }
}
