// Limits on one GraphQL request: its shape (GraphQL Armor), batching, body size, and whether
// introspection and GraphiQL are served. A refused request gets REQUEST_TOO_LARGE naming the
// limit, and nothing in it runs.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { config } from '../../src/config.ts';
import { prisma } from '../../src/db.ts';
import { createApp } from '../../src/yoga.ts';
import { gql, ok, signUp } from '../helpers.ts';
import { startHttp } from '../tracking.ts';

const tight = createApp({
  settings: {
    ...config(),
    GRAPHQL_MAX_DEPTH: 3,
    GRAPHQL_MAX_COST: 10,
    GRAPHQL_MAX_ALIASES: 2,
    GRAPHQL_MAX_DIRECTIVES: 2,
    GRAPHQL_MAX_TOKENS: 120,
    GRAPHQL_MAX_BATCH: 2,
    GRAPHQL_INTROSPECTION: false,
    GRAPHIQL: false,
  },
});

async function post(app: ReturnType<typeof createApp>, body: unknown, headers: Record<string, string> = {}) {
  const response = await app.fetch('http://api.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

const refusedFor = (body: { errors?: { extensions?: Record<string, unknown> }[] }) =>
  body.errors?.map((e) => [e.extensions?.code, e.extensions?.limit]);

describe('limits on a GraphQL request', () => {
  test('depth, cost, aliases, directives and tokens over the limit are refused before anything runs', async () => {
    const email = `limits-${Date.now()}@example.com`;
    const signUpMutation = (selection: string) =>
      `mutation { signUp(input: { email: "${email}", password: "correct horse battery", name: "L" }) { ${selection} } }`;
    const cases: [string, string][] = [
      [signUpMutation('user { memberships { edges { cursor } } }'), 'depth'],
      [signUpMutation('a: accessToken b: accessToken c: accessToken'), 'aliases'],
      [
        signUpMutation('accessToken @include(if: true) @skip(if: false) refreshToken @include(if: true)'),
        'directives',
      ],
      [signUpMutation(`accessToken ${'refreshToken '.repeat(150)}`), 'tokens'],
    ];
    for (const [query, limit] of cases) {
      const { body } = await post(tight, { query });
      expect(refusedFor(body), query).toEqual([['REQUEST_TOO_LARGE', limit]]);
      expect(body.data ?? null).toBeNull();
    }
    // Nothing ran: the sign-up never happened.
    expect(await prisma.user.count({ where: { email } })).toBe(0);

    const wide =
      '{ marketplace(first: 5) { pageInfo { hasNextPage endCursor startCursor hasPreviousPage } } }';
    const { body } = await post(tight, { query: wide });
    expect(refusedFor(body)).toEqual([['REQUEST_TOO_LARGE', 'cost']]);
  });

  test('the default limits leave room for real operations; a small one passes the tight limits', async () => {
    const user = await signUp('Limits');
    const me = await ok('{ me { id email } }', {}, user.token);
    expect(me.me.email).toBe(user.email);
    const { body } = await post(tight, { query: '{ me { id } }' }, { authorization: `Bearer ${user.token}` });
    expect(body).toEqual({ data: { me: { id: me.me.id } } });
  });

  test('batched operations are answered up to the limit; more is one refusal', async () => {
    const two = await post(tight, [{ query: '{ __typename }' }, { query: 'query Q { __typename }' }]);
    expect(two.status).toBe(200);
    expect(two.body).toEqual([{ data: { __typename: 'Query' } }, { data: { __typename: 'Query' } }]);
    const three = await post(tight, [
      { query: '{ __typename }' },
      { query: '{ __typename }' },
      { query: '{ __typename }' },
    ]);
    expect(three.status).toBe(413);
    expect(refusedFor(three.body)).toEqual([['REQUEST_TOO_LARGE', 'batch']]);
  });

  test('introspection and field suggestions can be turned off; GraphiQL too', async () => {
    const introspect = '{ __schema { queryType { name } } }';
    expect((await gql(introspect)).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const off = await post(tight, { query: introspect });
    expect(off.body.data ?? null).toBeNull();
    expect(off.body.errors[0].message).toMatch(/introspection/i);

    const typo = await post(tight, { query: '{ marketplac { edges { cursor } } }' });
    expect(typo.body.errors[0].message).not.toMatch(/Did you mean/);
    expect((await gql('{ marketplac { edges { cursor } } }')).errors?.[0]?.message).toMatch(/Did you mean/);

    const page = (app: ReturnType<typeof createApp>) =>
      app.fetch('http://api.test/graphql', { headers: { accept: 'text/html' } });
    expect(await (await page(createApp())).text()).toMatch(/graphiql/i);
    expect(await (await page(tight)).text()).not.toMatch(/graphiql/i);
  });
});

describe('the request body', () => {
  let http: Awaited<ReturnType<typeof startHttp>>;
  beforeAll(async () => {
    http = await startHttp();
  });
  afterAll(() => http.close());

  const send = (body: string, headers: Record<string, string | number>) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL('/graphql', http.url);
      const req = httpRequest(
        url,
        { method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
        (res) => {
          let text = '';
          res.on('data', (chunk) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  test('over GRAPHQL_MAX_BODY_BYTES, or of unknown length, is refused unread', async () => {
    const big = JSON.stringify({ query: `{ __typename }${' '.repeat(config().GRAPHQL_MAX_BODY_BYTES)}` });
    const over = await send(big, { 'content-length': Buffer.byteLength(big) });
    expect(over.status).toBe(413);
    expect(refusedFor(JSON.parse(over.body))).toEqual([['REQUEST_TOO_LARGE', 'body']]);

    const chunked = await send(JSON.stringify({ query: '{ __typename }' }), {
      'transfer-encoding': 'chunked',
    });
    expect(chunked.status).toBe(411);
    expect(refusedFor(JSON.parse(chunked.body))).toEqual([['REQUEST_TOO_LARGE', 'body']]);

    const small = JSON.stringify({ query: '{ __typename }' });
    const fine = await send(small, { 'content-length': Buffer.byteLength(small) });
    expect(JSON.parse(fine.body)).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('text the database cannot store', () => {
  test('a NUL character in a variable, a string literal or a snippet report is INVALID_INPUT, and nothing is written', async () => {
    const email = `nul-${Date.now()}@example.com`;
    const SIGN_UP = 'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }';
    const inVariable = await gql(SIGN_UP, {
      input: { email, password: 'a long enough password', name: 'Nul\u0000Byte' },
    });
    expect(inVariable.errors?.[0]?.extensions).toMatchObject({
      code: 'INVALID_INPUT',
      issues: [{ path: 'input.name', message: 'must not contain the NUL character (U+0000)' }],
    });
    const inLiteral = await gql(
      `mutation { signUp(input: { email: "${email}", password: "a long enough password", name: "Nul\\u0000Byte" }) { accessToken } }`,
    );
    expect(inLiteral.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
    expect(await prisma.user.count({ where: { email } })).toBe(0);

    const http = await startHttp();
    try {
      const response = await fetch(`${http.url}/track/conversion`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ key: 'pk_x', programId: 'p', orderId: 'o\u0000' }),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        error: 'INVALID_INPUT',
        issues: [{ path: 'orderId', message: 'must not contain the NUL character (U+0000)' }],
      });
    } finally {
      await http.close();
    }
  });
});
