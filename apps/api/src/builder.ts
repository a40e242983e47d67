import SchemaBuilder from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import ValidationPlugin from '@pothos/plugin-validation';
import { DateTimeResolver, JSONObjectResolver, SafeIntResolver } from 'graphql-scalars';
import { hasEnrollmentIn, isEnrolledAffiliateOf, isPartyTo } from './auth/access.ts';
import { actsFor } from './auth/scopes.ts';
import type { Viewer } from './auth/viewer.ts';
import { prisma } from './db.ts';
import type { RateLimits } from './rate-limits.ts';
import './default-deny.ts';
import { forbidden, invalidInput, unauthenticated } from './errors.ts';
import { getDatamodel } from './generated/pothos-types.ts';
import type { PrismaTypes } from './prisma-types.ts';

export interface Context {
  viewer: Viewer;
  requestId: string;
  /** The caller's IP, when served over HTTP (the fraud rules compare sign-in IPs, hashed). */
  clientIp?: string | null;
  /** Request allowances (per IP, account, user or key), shared by every instance through Redis. */
  rateLimits: RateLimits;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: true;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSONObject: { Input: Record<string, unknown>; Output: Record<string, unknown> };
    SafeInt: { Input: number; Output: number };
  };
  AuthScopes: {
    public: boolean;
    /** a user or a secret key (a publishable key only reports clicks and conversions) */
    authenticated: boolean;
    user: boolean;
    networkAdmin: boolean;
    /** acts for the organization with this id, as any member or with its secret key */
    member: string;
    /** acts for the organization as an admin or owner, or with its secret key */
    admin: string;
    /** acts for the organization as an owner */
    owner: string;
    /** acts for an affiliate with an enrollment (any status) in the program with this id */
    enrolledIn: string;
    /** acts for a merchant that has the affiliate with this profile id enrolled */
    merchantOfAffiliate: string;
    /** acts for either side of the enrollment with this id */
    partyTo: string;
  };
}>({
  plugins: [ScopeAuthPlugin, PrismaPlugin, RelayPlugin, ValidationPlugin, 'defaultDeny'],
  defaultFieldNullability: false,
  defaultInputFieldRequiredness: true,
  scopeAuth: {
    // Loaders read context.viewer when asked, not when the request starts: signing up or
    // logging in makes the rest of that request act as the new user.
    authScopes: (context) => ({
      public: true,
      authenticated: () =>
        context.viewer.kind === 'user' ||
        (context.viewer.kind === 'apiKey' && context.viewer.keyKind === 'SECRET'),
      user: () => context.viewer.kind === 'user',
      networkAdmin: () => context.viewer.kind === 'user' && context.viewer.isNetworkAdmin,
      member: (organizationId) => actsFor(context.viewer, organizationId, 'MEMBER'),
      admin: (organizationId) => actsFor(context.viewer, organizationId, 'ADMIN'),
      owner: (organizationId) =>
        context.viewer.kind === 'user' && actsFor(context.viewer, organizationId, 'OWNER'),
      enrolledIn: (programId) => hasEnrollmentIn(context.viewer, programId),
      merchantOfAffiliate: (affiliateId) => isEnrolledAffiliateOf(context.viewer, affiliateId),
      partyTo: (enrollmentId) => isPartyTo(context.viewer, enrollmentId),
    }),
    unauthorizedError: (_parent, { viewer }) =>
      viewer.kind === 'anonymous' ? unauthenticated() : forbidden('Not allowed for these credentials'),
  },
  prisma: {
    client: () => prisma,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    onUnusedQuery: process.env.NODE_ENV === 'test' ? 'error' : null,
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: false,
    nodesQueryOptions: false,
  },
  validation: {
    validationError: (failure) =>
      invalidInput(
        failure.issues.map((issue) => ({
          path: (issue.path ?? [])
            .map((part) => (typeof part === 'object' ? String(part.key) : String(part)))
            .join('.'),
          message: issue.message,
        })),
      ),
  },
});

builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('JSONObject', JSONObjectResolver);
// Sums of money can pass GraphQL Int's 32 bits; JavaScript numbers hold integers exactly to 2^53.
builder.addScalarType('SafeInt', SafeIntResolver);
builder.queryType({});
builder.mutationType({});
