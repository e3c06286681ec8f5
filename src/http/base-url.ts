import type { Request } from 'express';

/**
 * The URL clients call this service at: PUBLIC_BASE_URL when set (behind a proxy, and always in production),
 * else the request's own protocol and Host. Used for the JWT audience and for links that cards carry.
 */
export function baseUrlOf(req: Request, publicBaseUrl: string | undefined): string {
  return publicBaseUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}
