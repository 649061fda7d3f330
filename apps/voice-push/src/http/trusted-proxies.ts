import { IpAllowlist } from '../push-auth/ip-allowlist.js';

/**
 * Fastify's `trustProxy` for TRUSTED_PROXIES. Behind a load balancer every push comes from the
 * balancer's address, so the IP allow-list, the per-sender rate limit and the logs would all see
 * one sender. X-Forwarded-For is believed only for hops whose address is listed: `request.ip` is
 * then the nearest address in the chain that is not a trusted proxy. Unset: the header is ignored,
 * since any client can write it.
 */
export function trustProxyOption(trustedProxies: readonly string[] | null): false | ((address: string) => boolean) {
  if (trustedProxies === null) return false;
  const proxies = new IpAllowlist(trustedProxies);
  return (address) => proxies.allows(address);
}
