// What the running server logs, at its most verbose, after a session that handles every kind of
// secret and personal data it takes: none of them may appear in the output.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { startServer } from './server-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'aff-logs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('secrets and personal data never reach the logs', async () => {
  const server = await startServer({ DATA_DIR: dir, LOG_LEVEL: 'trace' });
  const email = `private.${randomBytes(4).toString('hex')}@example.com`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const signUp = await server.gql(
    'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken refreshToken } }',
    { input: { email, password, name: 'Private Person' } },
  );
  const { accessToken, refreshToken } = signUp.data.signUp;
  // A wrong password, a bad token and an unknown key take the error paths.
  await server.gql('mutation($input: LogInInput!) { logIn(input: $input) { accessToken } }', {
    input: { email, password: `${password}-wrong` },
  });
  await server.gql('{ me { id } }', {}, `${accessToken}x`);
  await server.gql('{ me { id } }', {}, `sk_${randomBytes(16).toString('hex')}`);
  const org = await server.gql(
    'mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { id } }',
    { input: { name: 'Private Co', isMerchant: true } },
    accessToken,
  );
  const key = await server.gql(
    'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }',
    { input: { organizationId: org.data.createOrganization.id, kind: 'SECRET', name: 'server' } },
    accessToken,
  );
  const secretKey = key.data.createApiKey.key as string;
  await server.gql('{ me { id } }', {}, secretKey);
  await server.gql('mutation($input: RefreshTokenInput!) { refreshToken(input: $input) { accessToken } }', {
    input: { refreshToken },
  });
  expect(await server.stop()).toBe(0);

  const output = server.output();
  expect(output).toContain('"msg":"graphql"'); // it did log the operations
  const jwtSecret = readFileSync(join(dir, 'jwt-secret'), 'utf8').trim();
  for (const secret of [password, accessToken, refreshToken, secretKey, jwtSecret, email])
    expect(output.includes(secret), `the logs contain ${secret.slice(0, 12)}…`).toBe(false);
});
