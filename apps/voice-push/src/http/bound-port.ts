import type { Server } from 'node:net';

/** The port a server is bound to (asked for 0, the OS chose it); null while it is not listening. */
export function boundPort(server: Server | null | undefined): number | null {
  const address = server?.address();
  return typeof address === 'object' && address !== null ? address.port : null;
}
