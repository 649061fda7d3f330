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

/** An HTTP/1.1 answer as a raw connection received it: its status line, status, Content-Type and body text. */
export function parseRawAnswer(received: string): { statusLine: string; status: number; contentType: string | undefined; body: string } {
  const end = received.indexOf('\r\n\r\n');
  const [statusLine = '', ...headers] = (end < 0 ? received : received.slice(0, end)).split('\r\n');
  const status = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine);
  if (!status) throw new Error(`no HTTP answer: ${JSON.stringify(received.slice(0, 200))}`);
  const contentType = headers.find((h) => h.toLowerCase().startsWith('content-type:'))?.slice('content-type:'.length).trim();
  return { statusLine, status: Number(status[1]), contentType, body: end < 0 ? '' : received.slice(end + 4) };
}
