import net from 'node:net';
import { clientAddress } from './client-address.js';
import { parseAddressOrCidr } from './push-auth.settings.js';

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
    const plain = clientAddress(address);
    const version = net.isIP(plain);
    if (version === 0) return false;
    return this.list.check(plain, version === 4 ? 'ipv4' : 'ipv6');
  }
}
