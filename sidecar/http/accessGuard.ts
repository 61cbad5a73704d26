import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { DomainError } from '../errors';

const loopbackNames = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/**
 * Refuses requests whose Host header is not a loopback name (or one the user allowed): a web page
 * on another origin that rebinds its DNS name to 127.0.0.1 still sends its own name as Host.
 */
export function hostGuard(allowedHosts: readonly string[]) {
  const allowed = new Set([...loopbackNames, ...allowedHosts.map((h) => h.toLowerCase())]);
  return async (ctx: Context, next: Next): Promise<void> => {
    const host = ctx.hostname.toLowerCase();
    if (!allowed.has(host) && !host.endsWith('.localhost')) {
      throw new DomainError(
        'forbidden',
        `Host ${JSON.stringify(ctx.host)} is not allowed: use localhost or 127.0.0.1, or add the name to RUNTRAIL_ALLOWED_HOSTS.`,
      );
    }
    await next();
  };
}

/**
 * Every /api route except the health checks, and OTLP ingest under /v1/ (where OpenTelemetry
 * exporters send), needs `Authorization: Bearer <token>`. Compared in constant time over digests
 * so neither length nor prefix leaks.
 */
export function requireToken(token: string) {
  const expected = digest(token);
  return async (ctx: Context, next: Next): Promise<void> => {
    const otlp = ctx.path.startsWith('/v1/');
    if ((ctx.path.startsWith('/api/') && !isPublic(ctx.path)) || otlp) {
      const header = ctx.get('authorization');
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (match?.[1] === undefined) {
        const missing = otlp
          ? 'Missing Authorization header: set OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token> (runtrail token prints it).'
          : 'Missing Authorization header: send "Authorization: Bearer <token>" (runtrail token prints it).';
        throw new DomainError('unauthorized', header === '' ? missing : 'Malformed Authorization header: expected "Bearer <token>".');
      }
      if (!timingSafeEqual(digest(match[1]), expected)) {
        throw new DomainError('unauthorized', "Invalid token: it does not match this sidecar's token.");
      }
    }
    await next();
  };
}

/** Health checks (for probes) and the API description need no token. */
function isPublic(path: string): boolean {
  return path === '/api/health' || path.startsWith('/api/health/') || path === '/api/openapi.json';
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
