// Every root query and mutation in the schema, called as each of eight personas against merchant
// X's and affiliate A's data. A call the persona is not allowed must be refused with
// UNAUTHENTICATED, FORBIDDEN or NOT_FOUND and change no row; no answer may carry another
// tenant's private data (canaries, see ../tenants.ts). A new operation is called too: with
// arguments made from the schema and the fixtures' ids, and by default only X's own
// credentials may succeed.
import { beforeAll, describe, expect, test } from 'vitest';
import { prisma } from '../../src/db.ts';
import { schema } from '../../src/schema/index.ts';
import { type Case, call, fillFrom, merchant, mutations, queries, useWorld, w } from '../operation-cases.ts';
import { operationsFor } from '../schema-calls.ts';
import { leaks, personas } from '../tenants.ts';

const denials = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND']);

/** Every row of every table, hashed: what a refused call must leave as it was. */
async function fingerprint(): Promise<Map<string, string>> {
  const tables = await prisma.$queryRawUnsafe<{ name: string }[]>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations'
     ORDER BY 1`,
  );
  // A key's last use is written by any request made with it, refused or not.
  const sql = tables
    .map(
      ({ name }) =>
        `SELECT '${name}' AS name, md5(coalesce(string_agg(md5((to_jsonb(t) - 'lastUsedAt')::text), ',' ORDER BY md5((to_jsonb(t) - 'lastUsedAt')::text)), '')) AS hash FROM "${name}" t`,
    )
    .join(' UNION ALL ');
  const rows = await prisma.$queryRawUnsafe<{ name: string; hash: string }[]>(sql);
  return new Map(rows.map((r) => [r.name, r.hash]));
}

const changed = (before: Map<string, string>, after: Map<string, string>) =>
  [...after].filter(([name, hash]) => before.get(name) !== hash).map(([name]) => name);

const print = process.env.MATRIX_PRINT === '1';
const observed: string[] = [];
/** The kinds of canary that reached an answer (group and what), to show the check has teeth. */
const seen = new Set<string>();

type Body = Awaited<ReturnType<typeof call>>;

/** The root field's own refusal, if any; errors deeper down are about nested fields. */
function outcome(name: string, bodies: Body[]) {
  for (const body of bodies) {
    const root = body.errors?.find((e) => e.path?.length === 1 && e.path[0] === name);
    if (root) return { code: root.extensions?.code ?? 'NO_CODE', message: root.message };
    // A request refused as a whole (its shape, a variable) has no path.
    const whole = body.errors?.find((e) => !e.path);
    if (whole) return { code: whole.extensions?.code ?? 'NO_CODE', message: whole.message };
  }
  return { code: 'OK', message: '' };
}

async function check(kind: 'query' | 'mutation', name: string, c: Case) {
  const documents = async () =>
    operationsFor(
      schema,
      kind,
      name,
      kind === 'query' ? 3 : 1,
      fillFrom(c.args ? await c.args() : {}),
      kind === 'query',
    );
  const failures: string[] = [];
  const outcomes: string[] = [];
  // Refused callers first, on one set of arguments; each allowed caller then gets fresh ones, as
  // a call may use its fixture up.
  const refused = personas.filter((p) => !c.allowed.includes(p));
  const shared = await documents();
  for (const persona of [...refused, ...c.allowed]) {
    const allowed = c.allowed.includes(persona);
    const { queries, variables } = allowed ? await documents() : shared;
    const before = kind === 'mutation' && !allowed ? await fingerprint() : null;
    const bodies: Body[] = [];
    for (const query of queries) bodies.push(await call(query, variables, w.credentials[persona]));
    const { code, message } = outcome(name, bodies);
    outcomes.push(`${persona}=${code}`);
    for (const m of JSON.stringify(bodies).matchAll(/cnry-(ax|by|x|y|a|b)-(\w+)/g))
      seen.add(`${m[1]}-${m[2]}`);
    const leaked = leaks(c.seenAs?.(persona) ?? persona, bodies);
    if (leaked.length) failures.push(`${persona} saw ${leaked.join(', ')}`);
    for (const body of bodies) {
      const internal = body.errors?.find(
        (e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR' || !e.extensions?.code,
      );
      if (internal)
        failures.push(`${persona} got an internal error at ${internal.path?.join('.')}: ${internal.message}`);
    }
    if (allowed) {
      if (denials.has(code) || code === 'INVALID_INPUT')
        failures.push(`${persona} may, but got ${code}: ${message}`);
    } else {
      if (!denials.has(code) && !c.refusedAlso?.includes(code))
        failures.push(`${persona} may not, but got ${code}`);
      if (before) {
        const touched = changed(before, await fingerprint());
        if (touched.length) failures.push(`${persona}'s refused call changed ${touched.join(', ')}`);
      }
    }
  }
  if (print) observed.push(`${kind} ${name}: ${outcomes.join(' ')}`);
  return failures;
}

beforeAll(async () => {
  await useWorld();
}, 120_000);

describe('the authorization matrix', () => {
  const queryType = schema.getQueryType()!;
  const mutationType = schema.getMutationType()!;

  test.each(Object.keys(queryType.getFields()))('query %s', async (name) => {
    const failures = [];
    for (const c of [queries[name] ?? { allowed: merchant }].flat())
      failures.push(...(await check('query', name, c)));
    expect(failures).toEqual([]);
  });

  test.each(Object.keys(mutationType.getFields()))('mutation %s', async (name) => {
    const failures = await check('mutation', name, mutations[name] ?? { allowed: merchant });
    expect(failures).toEqual([]);
  });

  test('the private data the check looks for did reach the callers allowed to see it', () => {
    // X's keys, hooks and fraud settings, A's and B's own email, key names and sign-up, the
    // partnerships' order ids, sub-ids, and payout details.
    for (const kind of [
      'x-key',
      'x-hook',
      'x-fraud',
      'x-order',
      'a-email',
      'a-key',
      'ax-order',
      'ax-sub',

      'ax-paypal',
      'ax-contact',
      'ax-application',
    ])
      expect(seen, kind).toContain(kind);
  });

  test.runIf(print)('print', () => {
    console.log(observed.join('\n'));
  });
});
