import type { WebhookEventType } from './generated.ts';

// Webhook signatures, checked with Web Crypto so the same code runs in Node 20, Deno, workers and
// browsers. The format is the API's: `webhook-signature: t=<unix seconds>,v1=<hex>` where the hex
// is HMAC-SHA256(secret, "<t>.<raw body>").

type Dotted<T> = T extends `${infer A}_${infer B}` ? `${A}.${B}` : never;

/** The body of a delivery; `type` is the event type in lower case with a dot: conversion.created. */
export interface WebhookEvent<Data = Record<string, unknown>> {
  id: string;
  type: Dotted<Lowercase<WebhookEventType>>;
  createdAt: string;
  data: Data;
}

export interface VerifyOptions {
  /** Older (or newer) signatures are refused, so a captured delivery cannot be replayed later. */
  toleranceSeconds?: number;
  /** For tests: the current time in milliseconds. */
  now?: number;
}

export class WebhookSignatureError extends Error {
  override name = 'WebhookSignatureError';
}

const encoder = new TextEncoder();

function hexBytes(hex: string): Uint8Array<ArrayBuffer> | null {
  if (!/^(?:[0-9a-f]{2})+$/i.test(hex)) return null;
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}

/**
 * True when `header` (the `webhook-signature` header) signs `rawBody` with `secret` and is recent.
 * Pass the body exactly as received, before any JSON parsing.
 */
export async function verifyWebhook(
  secret: string,
  header: string | null | undefined,
  rawBody: string,
  options: VerifyOptions = {},
): Promise<boolean> {
  const parts = new Map(
    (header ?? '').split(',').map((part) => part.trim().split('=', 2) as [string, string]),
  );
  const timestamp = Number(parts.get('t'));
  const given = hexBytes(parts.get('v1') ?? '');
  if (!Number.isInteger(timestamp) || !given) return false;
  const now = options.now ?? Date.now();
  if (Math.abs(now / 1000 - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  // subtle.verify compares in constant time.
  return crypto.subtle.verify('HMAC', key, given, encoder.encode(`${timestamp}.${rawBody}`));
}

/** Verifies a delivery and returns its parsed event; throws WebhookSignatureError otherwise. */
export async function readWebhook<Data = Record<string, unknown>>(
  secret: string,
  header: string | null | undefined,
  rawBody: string,
  options: VerifyOptions = {},
): Promise<WebhookEvent<Data>> {
  if (!(await verifyWebhook(secret, header, rawBody, options))) {
    throw new WebhookSignatureError('The webhook signature is missing, wrong or too old');
  }
  return JSON.parse(rawBody) as WebhookEvent<Data>;
}
