// What address a client is, however a socket or a proxy wrote it: the allow-list and the rate
// limit must agree on it (they did not: a proxy's `ip:port` was its ip to one, nobody to the other).
import net from 'node:net';

/** The eight 16-bit groups of an IPv6 address (a dotted IPv4 tail read as two), null for anything else. */
export function ipv6Groups(address: string): number[] | null {
  if (net.isIP(address) !== 6) return null;
  let text = address.split('%')[0]!.toLowerCase();
  const dotted = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.map((g) => parseInt(g, 16));
}

/**
 * An IPv4 client in IPv6 clothes is that IPv4 client: `::ffff:10.0.0.1` (a dual-stack socket), and
 * the same address as a proxy may write it, `::ffff:a00:1` or `0:0:0:0:0:ffff:10.0.0.1`.
 */
export function plainAddress(address: string): string {
  const g = ipv6Groups(address);
  if (g === null || !g.slice(0, 5).every((group) => group === 0) || g[5] !== 0xffff) return address;
  return `${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`;
}

/** `a.b.c.d:port` and `[v6]:port`, as some proxies write X-Forwarded-For, are their address. */
function withoutPort(address: string): string {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(address) ?? /^\[([^\]]+)\]:\d{1,5}$/.exec(address);
  return match ? match[1]! : address;
}

/** The client's address as the allow-list and the rate limit read it: port dropped, IPv4 unwrapped. */
export function clientAddress(address: string): string {
  return plainAddress(withoutPort(address));
}
