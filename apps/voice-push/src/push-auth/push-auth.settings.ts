// Settings of the optional push authentication and of the sender limits, parsed from the
// environment by config/app-config.ts. The contract's receivers take unsigned pushes (spec: "no
// signature"); everything here is off unless configured.
import net from 'node:net';

export const PUSH_AUTH_MODES = ['off', 'audit', 'enforce'] as const;
/** off: no check runs; audit: checks run, failures are logged and counted, the push is served; enforce: failures are refused. */
export type PushAuthMode = (typeof PUSH_AUTH_MODES)[number];

export interface PushAuthSettings {
  mode: PushAuthMode;
  /** token for accounts without their own (PUSH_AUTH_TOKENS bare entry or `*:token`); null: none */
  defaultToken: string | null;
  /** accountId → token (PUSH_AUTH_TOKENS `accountId:token`) */
  accountTokens: ReadonlyMap<string, string>;
  /** largest |now − timestamp| of a signature, ms */
  maxSkewMs: number;
  /** IPs / CIDRs allowed to push; null: any address */
  ipAllowlist: readonly string[] | null;
  /** the secret path segment of `/v1/push/{token}/status|cdr`; null: the plain paths only */
  pathToken: string | null;
}

export interface PushRateLimitSettings {
  /** pushes per second per sender (client IP; IPv6 by /64); null: no limit */
  perSecond: number | null;
  /** bucket size: pushes a sender may send at once after being quiet */
  burst: number;
}

/**
 * A path token is a URL path segment: 16–100 characters of the unreserved URL set. At most 100:
 * Fastify's router answers 414 for a longer path parameter, so every push to a longer token's path
 * was refused before it reached a receiver.
 */
const PATH_TOKEN = /^[A-Za-z0-9._~-]{16,100}$/;

/** PUSH_AUTH_TOKENS: `accountId:token,…`, and at most one default token (bare, or `*:token`). */
export function parsePushAuthTokens(raw: string | undefined, problems: string[]): { defaultToken: string | null; accountTokens: Map<string, string> } {
  const accountTokens = new Map<string, string>();
  let defaultToken: string | null = null;
  if (raw === undefined) return { defaultToken, accountTokens };
  for (const entry of raw.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const colon = entry.indexOf(':');
    const account = colon < 0 ? '*' : entry.slice(0, colon).trim();
    const token = colon < 0 ? entry : entry.slice(colon + 1).trim();
    // Never echo a token in a problem: the configuration error is logged.
    if (account === '' || token === '' || /\s/.test(token)) {
      problems.push(`PUSH_AUTH_TOKENS: entry #${accountTokens.size + (defaultToken ? 1 : 0) + 1} is not "accountId:token" or "token"`);
      continue;
    }
    if (account === '*') {
      if (defaultToken !== null) problems.push('PUSH_AUTH_TOKENS: more than one default token');
      defaultToken = token;
    } else {
      if (accountTokens.has(account)) problems.push(`PUSH_AUTH_TOKENS: account ${account} has more than one token`);
      accountTokens.set(account, token);
    }
  }
  return { defaultToken, accountTokens };
}

/** One allow-list entry: an IPv4 / IPv6 address or a CIDR block of one. */
export function parseAddressOrCidr(entry: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const version = net.isIP(address);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const text = entry.slice(slash + 1);
    if (!/^\d{1,3}$/.test(text) || Number(text) > max) return null;
    prefix = Number(text);
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** A comma-separated list of IPs / CIDRs in the variable `name`; null when unset. */
export function parseAddressList(name: string, raw: string | undefined, problems: string[]): string[] | null {
  if (raw === undefined) return null;
  const entries = raw.split(',').map((e) => e.trim()).filter((e) => e !== '');
  for (const entry of entries) {
    if (parseAddressOrCidr(entry) === null) problems.push(`${name}: "${entry}" is not an IP address or CIDR block`);
  }
  if (entries.length === 0) problems.push(`${name}: no address given`);
  return entries;
}

export function parseIpAllowlist(raw: string | undefined, problems: string[]): string[] | null {
  return parseAddressList('PUSH_IP_ALLOWLIST', raw, problems);
}

export function parsePathToken(raw: string | undefined, problems: string[]): string | null {
  if (raw === undefined) return null;
  if (!PATH_TOKEN.test(raw)) problems.push('PUSH_PATH_TOKEN: use 16 to 100 characters of A-Z a-z 0-9 . _ ~ -');
  return raw;
}

/** Cross-checks: a mode that checks nothing, or checks configured under mode off, are mistakes. */
export function checkPushAuthSettings(settings: PushAuthSettings, problems: string[]): void {
  const configured = [
    settings.defaultToken !== null || settings.accountTokens.size > 0 ? 'PUSH_AUTH_TOKENS' : null,
    settings.ipAllowlist !== null ? 'PUSH_IP_ALLOWLIST' : null,
    settings.pathToken !== null ? 'PUSH_PATH_TOKEN' : null,
  ].filter((n): n is string => n !== null);
  if (settings.mode === 'off' && configured.length > 0) {
    problems.push(`${configured.join(', ')} set but PUSH_AUTH_MODE=off: set PUSH_AUTH_MODE=audit or enforce (or unset them)`);
  }
  if (settings.mode !== 'off' && configured.length === 0) {
    problems.push(`PUSH_AUTH_MODE=${settings.mode} needs at least one of PUSH_AUTH_TOKENS, PUSH_IP_ALLOWLIST, PUSH_PATH_TOKEN`);
  }
}
