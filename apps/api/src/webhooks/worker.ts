import type { Logger } from 'pino';
import { prisma } from '../db.ts';
import { every } from '../periodic.ts';
import { signatureHeader } from './signature.ts';

export interface DeliveryOptions {
  /** Attempts before a delivery is given up (FAILED). */
  maxAttempts: number;
  /** Consecutive failed attempts after which an endpoint is disabled. */
  disableAfter: number;
  /** The first retry's delay; each next one doubles, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
}

export const defaultDeliveryOptions: DeliveryOptions = {
  maxAttempts: 10,
  disableAfter: 20,
  baseDelayMs: 30_000,
  maxDelayMs: 6 * 3_600_000,
  timeoutMs: 10_000,
};

// A claimed delivery is this instance's for this long; if the instance dies mid-attempt,
// another one takes it over afterwards.
const leaseMs = 60_000;
const batch = 20;

/**
 * Turns new outbox events into one delivery per endpoint that wants them. Instances share the
 * work: each takes a different batch of events (SKIP LOCKED), and a delivery is unique per event
 * and endpoint.
 */
export async function fanOut(): Promise<number> {
  return prisma.$transaction(async (tx) => {
    const events = await tx.$queryRaw<{ id: string; organizationId: string; type: string }[]>`
      SELECT id, "organizationId", type::text FROM "WebhookEvent"
      WHERE "fannedOutAt" IS NULL ORDER BY "createdAt", id LIMIT 200 FOR UPDATE SKIP LOCKED`;
    if (!events.length) return 0;
    const endpoints = await tx.webhookEndpoint.findMany({
      where: { organizationId: { in: [...new Set(events.map((e) => e.organizationId))] }, enabled: true },
      select: { id: true, organizationId: true, events: true },
    });
    const now = new Date();
    const deliveries = events.flatMap((e) =>
      endpoints
        .filter((p) => p.organizationId === e.organizationId && (p.events as string[]).includes(e.type))
        .map((p) => ({ eventId: e.id, endpointId: p.id, nextAttemptAt: now })),
    );
    if (deliveries.length) await tx.webhookDelivery.createMany({ data: deliveries, skipDuplicates: true });
    await tx.webhookEvent.updateMany({
      where: { id: { in: events.map((e) => e.id) } },
      data: { fannedOutAt: now },
    });
    return events.length;
  });
}

/** Claims due deliveries for this instance: they are leased, so no other instance sends them meanwhile. */
async function claim(now: Date): Promise<string[]> {
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    UPDATE "WebhookDelivery" SET "nextAttemptAt" = ${new Date(now.getTime() + leaseMs)}
    WHERE id IN (
      SELECT d.id FROM "WebhookDelivery" d JOIN "WebhookEndpoint" p ON p.id = d."endpointId"
      WHERE d.status = 'PENDING' AND d."nextAttemptAt" <= ${now} AND p.enabled
      ORDER BY d."nextAttemptAt" LIMIT ${batch}
      FOR UPDATE OF d SKIP LOCKED)
    RETURNING id`;
  return rows.map((r) => r.id);
}

/** Sends the deliveries that are due, once each, and records every attempt. */
export async function deliverDue(options: Partial<DeliveryOptions> & { now?: Date } = {}): Promise<number> {
  const o = { ...defaultDeliveryOptions, ...options };
  const now = options.now ?? new Date();
  const ids = await claim(now);
  // Every attempt ends before the next claim, even when one fails: attempts left running beside
  // the next batch would crowd the connection pool further.
  const results = await Promise.allSettled(ids.map((id) => attempt(id, now, o)));
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return ids.length;
}

async function attempt(deliveryId: string, now: Date, o: DeliveryOptions) {
  const delivery = await prisma.webhookDelivery.findUniqueOrThrow({
    where: { id: deliveryId },
    include: {
      event: { select: { payload: true } },
      endpoint: { select: { id: true, url: true, secret: true } },
    },
  });
  const body = JSON.stringify(delivery.event.payload);
  const timestamp = Math.floor(Date.now() / 1000);
  const started = performance.now();
  let statusCode: number | null = null;
  let error: string | null = null;
  let responseBody: string | null = null;
  try {
    const response = await fetch(delivery.endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'affiliate-network-webhooks/1',
        'webhook-id': delivery.eventId,
        'webhook-signature': signatureHeader(delivery.endpoint.secret, timestamp, body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    statusCode = response.status;
    responseBody = (await response.text()).slice(0, 1_000);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const durationMs = Math.round(performance.now() - started);
  const ok = statusCode !== null && statusCode >= 200 && statusCode < 300;
  const attempts = delivery.attemptCount + 1;
  const delay = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempts - 1));
  // The receiver has it now: were its outcome lost, the delivery would be sent again when the
  // lease ends. So recording is retried while the lease lasts (a busy connection pool, a dropped
  // connection), and counts only while the attempt count is still the one this attempt read, so a
  // retry after a commit that did go through changes nothing.
  await retryWhileLeased(() =>
    prisma.$transaction(async (tx) => {
      const recorded = await tx.webhookDelivery.updateMany({
        where: { id: deliveryId, status: 'PENDING', attemptCount: delivery.attemptCount },
        data: ok
          ? { status: 'DELIVERED', attemptCount: attempts, deliveredAt: new Date() }
          : {
              status: attempts >= o.maxAttempts ? 'FAILED' : 'PENDING',
              attemptCount: attempts,
              nextAttemptAt: new Date(now.getTime() + delay),
            },
      });
      if (recorded.count === 0) return;
      await tx.webhookAttempt.create({
        data: {
          deliveryId,
          statusCode,
          durationMs,
          error: error ?? (ok ? null : `HTTP ${statusCode}`),
          responseBody,
        },
      });
      if (ok) {
        await tx.webhookEndpoint.update({
          where: { id: delivery.endpointId },
          data: { consecutiveFailures: 0 },
        });
        return;
      }
      const endpoint = await tx.webhookEndpoint.update({
        where: { id: delivery.endpointId },
        data: { consecutiveFailures: { increment: 1 } },
        select: { consecutiveFailures: true, enabled: true },
      });
      if (endpoint.enabled && endpoint.consecutiveFailures >= o.disableAfter)
        await tx.webhookEndpoint.update({
          where: { id: delivery.endpointId },
          data: {
            enabled: false,
            disabledAt: new Date(),
            disabledReason: `${endpoint.consecutiveFailures} failed attempts in a row`,
          },
        });
    }),
  );
}

/** Runs `work` until it succeeds, backing off, for at most half a lease; then its error is thrown. */
async function retryWhileLeased(work: () => Promise<unknown>) {
  const until = Date.now() + leaseMs / 2;
  for (let wait = 100; ; wait = Math.min(2 * wait, 5_000)) {
    try {
      return await work();
    } catch (error) {
      if (Date.now() + wait > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/**
 * The worker of this process: fans out new events and sends due deliveries every `intervalMs`.
 * Every instance may run it; the outbox survives restarts, so nothing written is lost.
 */
export function startWebhookWorker(intervalMs: number, log: Pick<Logger, 'error'>) {
  return every(
    intervalMs,
    async () => {
      while ((await fanOut()) > 0);
      while ((await deliverDue()) > 0);
    },
    log,
    'webhook delivery',
  );
}
