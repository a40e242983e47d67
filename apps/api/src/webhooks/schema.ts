import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { requireRole } from '../auth/access.ts';
import type { Viewer } from '../auth/viewer.ts';
import { builder } from '../builder.ts';
import { prisma } from '../db.ts';
import { DeliveryStatus, WebhookEventType } from '../generated/prisma/client.ts';
import { invalidate } from '../invalidation.ts';
import { id, input } from '../validation.ts';

const WebhookEventTypeEnum = builder.enumType(WebhookEventType, {
  name: 'WebhookEventType',
  description: 'Delivered with the name in lower case and a dot: CONVERSION_CREATED is "conversion.created".',
});
const DeliveryStatusEnum = builder.enumType(DeliveryStatus, { name: 'WebhookDeliveryStatus' });

const WebhookAttemptRef = builder.prismaObject('WebhookAttempt', {
  include: { delivery: { select: { endpoint: { select: { organizationId: true } } } } },
  authScopes: (a) => ({ member: a.delivery.endpoint.organizationId, networkAdmin: true }),
  fields: (t) => ({
    id: t.exposeID('id'),
    attemptedAt: t.expose('attemptedAt', { type: 'DateTime' }),
    statusCode: t.exposeInt('statusCode', { nullable: true }),
    durationMs: t.exposeInt('durationMs'),
    error: t.exposeString('error', { nullable: true }),
    responseBody: t.exposeString('responseBody', {
      nullable: true,
      description: 'The first 1,000 characters.',
    }),
  }),
});

builder.prismaObject('WebhookDelivery', {
  include: { endpoint: { select: { organizationId: true } } },
  authScopes: (d) => ({ member: d.endpoint.organizationId, networkAdmin: true }),
  fields: (t) => ({
    id: t.exposeID('id'),
    eventId: t.exposeID('eventId', {
      description: 'Sent as the `webhook-id` header: receivers dedupe on it.',
    }),
    eventType: t.field({
      type: WebhookEventTypeEnum,
      select: { event: { select: { type: true } } },
      resolve: (d) => d.event.type,
    }),
    payload: t.string({
      description: 'The JSON body sent.',
      select: { event: { select: { payload: true } } },
      resolve: (d) => JSON.stringify(d.event.payload),
    }),
    status: t.expose('status', { type: DeliveryStatusEnum }),
    attemptCount: t.exposeInt('attemptCount'),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime' }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true }),
    attempts: t.relation('attempts', { type: WebhookAttemptRef, query: { orderBy: { attemptedAt: 'asc' } } }),
  }),
});

const WebhookEndpointRef = builder.prismaObject('WebhookEndpoint', {
  authScopes: (e) => ({ member: e.organizationId, networkAdmin: true }),
  fields: (t) => ({
    id: t.exposeID('id'),
    url: t.exposeString('url'),
    events: t.field({ type: [WebhookEventTypeEnum], resolve: (e) => e.events }),
    enabled: t.exposeBoolean('enabled'),
    consecutiveFailures: t.exposeInt('consecutiveFailures'),
    disabledAt: t.expose('disabledAt', { type: 'DateTime', nullable: true }),
    disabledReason: t.exposeString('disabledReason', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    deliveries: t.relatedConnection('deliveries', {
      cursor: 'id',
      description: 'The delivery log, newest first, each with its attempts.',
      query: { orderBy: { id: 'desc' } },
    }),
  }),
});

builder.prismaObjectFields('Organization', (t) => ({
  webhookEndpoints: t.relation('webhookEndpoints', {
    authScopes: (org) => ({ member: org.id, networkAdmin: true }),
    query: { orderBy: { createdAt: 'asc' } },
  }),
}));

const url = z
  .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
  .max(2048, 'must be at most 2048 characters');
const events = z.array(z.enum(WebhookEventType)).min(1, 'choose at least one event').max(20);

const newSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;

const EndpointWithSecret = builder
  .objectRef<{ endpointId: string; secret: string }>('WebhookEndpointWithSecret')
  .implement({
    fields: (t) => ({
      endpoint: t.field({
        type: WebhookEndpointRef,
        resolve: (p) => prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: p.endpointId } }),
      }),
      secret: t.exposeString('secret', {
        description: 'The signing secret. Shown only now: store it where the receiver can read it.',
      }),
    }),
  });

async function endpointForAdmin(viewer: Viewer, endpointId: string) {
  const endpoint = await prisma.webhookEndpoint.findUnique({
    where: { id: endpointId },
    select: { organizationId: true },
  });
  requireRole(viewer, endpoint?.organizationId, 'ADMIN', 'Webhook endpoint');
  return endpoint!;
}

builder.mutationFields((t) => ({
  createWebhookEndpoint: t.field({
    type: EndpointWithSecret,
    description:
      "Registers a URL for an organization's events (merchant or affiliate). The secret is returned once.",
    authScopes: { authenticated: true },
    args: {
      input: t.arg({
        type: builder.inputType('CreateWebhookEndpointInput', {
          fields: (f) => ({
            organizationId: f.id(),
            url: f.string(),
            events: f.field({ type: [WebhookEventTypeEnum] }),
          }),
          validate: input({ organizationId: id, url, events }),
        }),
      }),
    },
    resolve: async (_root, { input }, { viewer }) => {
      const organizationId = String(input.organizationId);
      requireRole(viewer, organizationId, 'ADMIN', 'Organization');
      const secret = newSecret();
      const endpoint = await prisma.webhookEndpoint.create({
        data: { organizationId, url: input.url, events: [...new Set(input.events)], secret },
        select: { id: true },
      });
      invalidate({ webhooks: organizationId });
      return { endpointId: endpoint.id, secret };
    },
  }),
  updateWebhookEndpoint: t.prismaField({
    type: WebhookEndpointRef,
    description: 'Changes the URL or the events of an endpoint.',
    authScopes: { authenticated: true },
    args: {
      input: t.arg({
        type: builder.inputType('UpdateWebhookEndpointInput', {
          fields: (f) => ({
            endpointId: f.id(),
            url: f.string({ required: false }),
            events: f.field({ type: [WebhookEventTypeEnum], required: false }),
          }),
          validate: input({ endpointId: id, url: url.nullish(), events: events.nullish() }),
        }),
      }),
    },
    resolve: async (query, _root, { input }, { viewer }) => {
      const endpointId = String(input.endpointId);
      const { organizationId } = await endpointForAdmin(viewer, endpointId);
      const updated = await prisma.webhookEndpoint.update({
        ...query,
        where: { id: endpointId },
        data: {
          ...(input.url ? { url: input.url } : {}),
          ...(input.events ? { events: [...new Set(input.events)] } : {}),
        },
      });
      invalidate({ webhooks: organizationId });
      return updated;
    },
  }),
  setWebhookEndpointEnabled: t.prismaField({
    type: WebhookEndpointRef,
    description:
      'Disables an endpoint, or enables it again (also after it was disabled for failing): pending deliveries resume.',
    authScopes: { authenticated: true },
    args: { endpointId: t.arg.id({ validate: id }), enabled: t.arg.boolean() },
    resolve: async (query, _root, args, { viewer }) => {
      const endpointId = String(args.endpointId);
      const { organizationId } = await endpointForAdmin(viewer, endpointId);
      const updated = await prisma.webhookEndpoint.update({
        ...query,
        where: { id: endpointId },
        data: args.enabled
          ? { enabled: true, consecutiveFailures: 0, disabledAt: null, disabledReason: null }
          : { enabled: false, disabledAt: new Date(), disabledReason: 'disabled by the owner' },
      });
      invalidate({ webhooks: organizationId });
      return updated;
    },
  }),
  rotateWebhookSecret: t.field({
    type: EndpointWithSecret,
    description: 'A new signing secret, returned once; the old one stops at once.',
    authScopes: { authenticated: true },
    args: { endpointId: t.arg.id({ validate: id }) },
    resolve: async (_root, args, { viewer }) => {
      const endpointId = String(args.endpointId);
      await endpointForAdmin(viewer, endpointId);
      const secret = newSecret();
      await prisma.webhookEndpoint.update({ where: { id: endpointId }, data: { secret } });
      return { endpointId, secret };
    },
  }),
  deleteWebhookEndpoint: t.boolean({
    description: 'Removes an endpoint and its delivery log.',
    authScopes: { authenticated: true },
    args: { endpointId: t.arg.id({ validate: id }) },
    resolve: async (_root, args, { viewer }) => {
      const endpointId = String(args.endpointId);
      const { organizationId } = await endpointForAdmin(viewer, endpointId);
      await prisma.webhookEndpoint.delete({ where: { id: endpointId } });
      invalidate({ webhooks: organizationId });
      return true;
    },
  }),
}));
