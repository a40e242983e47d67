import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { createApp } from '../src/yoga.ts';

export const app = createApp();

// biome-ignore lint/suspicious/noExplicitAny: test responses are checked field by field
export type Json = any;

export interface GqlResult {
  status: number;
  data: Json;
  errors?: { message: string; path?: string[]; extensions: Record<string, Json> }[];
}

/** Sends one GraphQL request through the Yoga instance, in process. */
export async function gql(
  query: string,
  variables: Record<string, unknown> = {},
  credential?: string,
): Promise<GqlResult> {
  const response = await app.fetch('http://api.test/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(credential ? { authorization: `Bearer ${credential}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  return { status: response.status, data: body.data, errors: body.errors };
}

/** The data of a request that must succeed. */
export async function ok(
  query: string,
  variables: Record<string, unknown> = {},
  credential?: string,
): Promise<Json> {
  const result = await gql(query, variables, credential);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data;
}

/** The `extensions.code` of a request that must fail. */
export async function failsWith(query: string, variables: Record<string, unknown>, credential?: string) {
  const result = await gql(query, variables, credential);
  expect(result.errors?.length, `expected an error, got ${JSON.stringify(result.data)}`).toBeGreaterThan(0);
  return result.errors![0]!.extensions.code as string;
}

export async function signUp(name = 'Tester') {
  const email = `${name.toLowerCase().replace(/\W+/g, '.')}.${randomUUID().slice(0, 8)}@example.com`;
  const data = await ok(
    `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken refreshToken user { id } } }`,
    { input: { email, password: 'a long enough password', name } },
  );
  return {
    email,
    userId: data.signUp.user.id as string,
    token: data.signUp.accessToken as string,
    refreshToken: data.signUp.refreshToken as string,
  };
}

export async function createOrganization(
  token: string,
  input: { name: string; isMerchant?: boolean; isAffiliate?: boolean },
) {
  const data = await ok(
    `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { id slug } }`,
    { input },
    token,
  );
  return data.createOrganization as { id: string; slug: string };
}

export async function createApiKey(token: string, organizationId: string, kind: 'SECRET' | 'PUBLISHABLE') {
  const data = await ok(
    `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id prefix } } }`,
    { input: { organizationId, kind, name: `${kind.toLowerCase()} key` } },
    token,
  );
  return { key: data.createApiKey.key as string, id: data.createApiKey.apiKey.id as string };
}
