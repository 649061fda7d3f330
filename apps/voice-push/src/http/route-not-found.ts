/** Longest part of a client's own URL a 404 quotes back. */
const MAX_QUOTED_URL = 300;

/**
 * The body of a 404 for a route that is not there, the router's words: also what the admin routes
 * answer on the push port with ADMIN_PORT set, so that they look exactly like a route that is not
 * there. The URL is cut: quoted whole, a long one came back as kilobytes (and told the two apart).
 */
export function routeNotFound(method: string, url: string): { error: 'NOT_FOUND'; message: string } {
  const quoted = url.length > MAX_QUOTED_URL ? `${url.slice(0, MAX_QUOTED_URL)}…` : url;
  return { error: 'NOT_FOUND', message: `Cannot ${method} ${quoted}` };
}
