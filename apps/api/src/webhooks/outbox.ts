import type { Db } from '../db.ts';
import { ExpiringCache } from '../expiring-cache.ts';
import type { Prisma, WebhookEventType } from '../generated/prisma/client.ts';
import { uuidv7 } from '../ids.ts';
import { onInvalidate } from '../invalidation.ts';

type Tx = Prisma.TransactionClient;

export interface OutboxEvent {
  organizationId: string;
  type: WebhookEventType;
  data: Record<string, unknown>;
}

// Which event types each organization's enabled endpoints want. Most changes happen in
// organizations without endpoints: knowing that from memory keeps the outbox empty for them.
const subscriptions = new ExpiringCache<Set<string>>(30_000);
onInvalidate((what) => {
  if ('webhooks' in what) subscriptions.delete(what.webhooks);
});

async function typesWanted(db: Db | Tx, organizationId: string): Promise<Set<string>> {
  const hit = subscriptions.get(organizationId);
  if (hit) return hit;
  const endpoints = await db.webhookEndpoint.findMany({
    where: { organizationId, enabled: true },
    select: { events: true },
  });
  const types = new Set(endpoints.flatMap((e) => e.events));
  subscriptions.set(organizationId, types);
  return types;
}

/** The events some endpoint listens to, ready to insert (ids and bodies made here). */
export async function eventsToWrite(db: Db | Tx, events: readonly OutboxEvent[]) {
  const rows: {
    id: string;
    organizationId: string;
    type: WebhookEventType;
    payload: Prisma.InputJsonValue;
  }[] = [];
  for (const e of events) {
    if (!(await typesWanted(db, e.organizationId)).has(e.type)) continue;
    const id = uuidv7();
    rows.push({
      id,
      organizationId: e.organizationId,
      type: e.type,
      payload: {
        id,
        type: eventName(e.type),
        createdAt: new Date().toISOString(),
        data: e.data,
      } as Prisma.InputJsonValue,
    });
  }
  return rows;
}

/**
 * Writes events into the outbox inside the caller's transaction, so an event exists exactly when
 * the change it describes was committed. The webhook worker delivers them.
 */
export async function emit(tx: Tx, events: readonly OutboxEvent[]) {
  const rows = await eventsToWrite(tx, events);
  if (rows.length) await tx.webhookEvent.createMany({ data: rows });
}

/** CONVERSION_CREATED → "conversion.created", the name receivers see. */
export const eventName = (type: WebhookEventType) => type.toLowerCase().replace('_', '.');

/** The merchant's and the affiliate's organizations of an enrollment: both hear about it. */
export async function enrollmentOrganizations(tx: Tx, enrollmentId: string): Promise<string[]> {
  const e = await tx.enrollment.findUniqueOrThrow({
    where: { id: enrollmentId },
    select: {
      program: { select: { organizationId: true } },
      affiliate: { select: { organizationId: true } },
    },
  });
  return [e.program.organizationId, e.affiliate.organizationId];
}

/** The same event for each of the organizations. */
export const toEach = (
  organizationIds: readonly string[],
  type: WebhookEventType,
  data: Record<string, unknown>,
) => organizationIds.map((organizationId) => ({ organizationId, type, data }));
