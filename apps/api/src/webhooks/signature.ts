import { createHmac, timingSafeEqual } from 'node:crypto';

// The signature a receiver checks: HMAC-SHA256, keyed with the endpoint's secret, over
// "<timestamp>.<raw body>", hex-encoded, sent as `Webhook-Signature: t=<timestamp>,v1=<hex>`.
// The timestamp (Unix seconds) lets receivers refuse old replays.

export function signature(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export const signatureHeader = (secret: string, timestamp: number, body: string) =>
  `t=${timestamp},v1=${signature(secret, timestamp, body)}`;

/**
 * What a receiver does (the README shows the same code): recompute and compare in constant time,
 * and refuse signatures older than `toleranceSeconds`.
 */
export function verifySignature(
  secret: string,
  header: string,
  body: string,
  now = Date.now(),
  toleranceSeconds = 300,
): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const timestamp = Number(parts.t);
  if (!Number.isInteger(timestamp) || !parts.v1) return false;
  if (Math.abs(now / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signature(secret, timestamp, body), 'hex');
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
