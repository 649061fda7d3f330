/** Server timeouts (Fastify options), chosen against slow or silent clients. */
export function serverTimeouts(requestTimeoutMs: number) {
  return {
    // The whole request (headers and body) must be in within this: a body sent a byte at a time
    // (slowloris) is cut with 408. A sender's push is ≤ 64 KiB and it waits 3 s for the answer.
    requestTimeout: requestTimeoutMs,
    // A socket silent this long in the middle of an exchange is dead (answers take milliseconds,
    // 503 when storage is away): let it go.
    connectionTimeout: Math.max(30_000, requestTimeoutMs),
    // An idle keep-alive socket is kept a little longer than a load balancer's usual 60 s, so the
    // balancer, not us, closes it (no race on a reused socket).
    keepAliveTimeout: 65_000,
    http: {
      headersTimeout: requestTimeoutMs,
      // how often node checks requestTimeout / headersTimeout (default 30 s would let a slow
      // request live up to 30 s past its timeout)
      connectionsCheckingInterval: Math.max(250, Math.min(1_000, Math.floor(requestTimeoutMs / 4))),
    },
  };
}
