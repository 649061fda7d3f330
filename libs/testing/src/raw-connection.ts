import net from 'node:net';

/** A client on a plain TCP connection: for requests no HTTP client would send (a head cut short, a trickled body). */
export interface RawConnection {
  socket: net.Socket;
  /** everything the server sent so far */
  received(): string;
  /** resolves when the connection has closed, from either end */
  closed: Promise<void>;
}

/** Connects to 127.0.0.1:`port` and writes `bytes` as they are. */
export async function openRawConnection(port: number, bytes: string): Promise<RawConnection> {
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk) => (received += chunk));
  socket.on('error', () => undefined); // a reset from the server is what some tests expect
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    void closed.then(() => reject(new Error(`no connection to 127.0.0.1:${port}`))); // after a connect: a no-op
  });
  socket.write(bytes);
  return { socket, received: () => received, closed };
}
