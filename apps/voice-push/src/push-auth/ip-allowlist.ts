import net from 'node:net';
import { parseAddressOrCidr } from './push-auth.settings.js';

/** An IPv4 client seen on a dual-stack socket: `::ffff:10.0.0.1` is `10.0.0.1`. */
export function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/** PUSH_IP_ALLOWLIST: addresses and CIDR blocks (node's BlockList does the matching). */
export class IpAllowlist {
  private readonly list = new net.BlockList();

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const parsed = parseAddressOrCidr(entry);
      if (parsed === null) throw new Error(`not an IP address or CIDR block: ${entry}`);
      this.list.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
  }

  allows(address: string | undefined): boolean {
    if (!address) return false;
    const plain = plainAddress(address);
    const version = net.isIP(plain);
    if (version === 0) return false;
    return this.list.check(plain, version === 4 ? 'ipv4' : 'ipv6');
  }
}
