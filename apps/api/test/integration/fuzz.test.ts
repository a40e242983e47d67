// Every mutation in the schema, called with invalid and random input by a caller allowed to make
// it: a few thousand cases from a fixed seed (FUZZ_SEED, FUZZ_CASES to change them). No answer
// may be a masked internal error, and a refused request must write nothing: every table counts
// its row changes through a trigger, and a refusal must leave the count where it was.
import {
  type GraphQLInputType,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
} from 'graphql';
import { beforeAll, describe, expect, test } from 'vitest';
import { prisma } from '../../src/db.ts';
import { schema } from '../../src/schema/index.ts';
import { type Case, call, fillFrom, merchant, mutations, useWorld } from '../operation-cases.ts';
import { operationsFor, type Values } from '../schema-calls.ts';
import type { Persona, World } from '../tenants.ts';

const seed = Number(process.env.FUZZ_SEED ?? 20261121);
const total = Number(process.env.FUZZ_CASES ?? 2500);

/** mulberry32: small, fast and the same on every machine. */
function random(start: number) {
  let a = start >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let world: World;

const strings = [
  '',
  ' ',
  'x'.repeat(10_001),
  'nul\u0000byte',
  '😀'.repeat(40),
  '\'; DROP TABLE "User"; --',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  'javascript:alert(1)',
  'http://',
  'https://evil.example/',
  'NaN',
  '-1',
  '1e309',
  '00000000-0000-0000-0000-000000000000',
  'not-a-uuid',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
  '2026-02-30',
  'usd',
  'XXX',
  '\u202Eevil',
  'a@b',
  'UPPER@EXAMPLE.COM',
];
const numbers = [0, -1, 1.5, -0.0001, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 1e21, Number.MAX_SAFE_INTEGER];
const shapes = [null, true, false, [], {}, [null], { unexpected: 1 }, [[]]];

/** The ids of both tenants' objects and some that exist nowhere. */
function ids(): string[] {
  const { x, y, a, b, ax, by } = world;
  return [
    x.programId,
    y.programId,
    x.organizationId,
    y.organizationId,
    a.organizationId,
    b.organizationId,
    a.profileId,
    b.profileId,
    ax.enrollmentId,
    by.enrollmentId,
    ax.linkId,
    by.linkId,
    x.webhookEndpointId,
    y.webhookEndpointId,
    '019a0000-0000-7000-8000-000000000000',
  ];
}

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

/** Any value at all: a string, a number, a shape, an id. */
function anything(rand: () => number): unknown {
  const r = rand();
  if (r < 0.4) return pick(rand, strings);
  if (r < 0.65) return pick(rand, numbers);
  if (r < 0.85) return structuredClone(pick(rand, shapes));
  return pick(rand, ids());
}

/** A value of the right GraphQL type but chosen to be awkward: edges, other tenants' ids. */
function typed(rand: () => number, type: GraphQLInputType, depth = 0): unknown {
  if (!isNonNullType(type) && rand() < 0.15) return null;
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) {
    const n = Math.floor(rand() * 4);
    return Array.from({ length: n }, () => typed(rand, inner.ofType, depth + 1));
  }
  if (isInputObjectType(inner)) {
    if (depth > 4) return {};
    const out: Values = {};
    for (const field of Object.values(inner.getFields()))
      if (isNonNullType(field.type) || rand() < 0.5) out[field.name] = typed(rand, field.type, depth + 1);
    return out;
  }
  if (isEnumType(inner)) return pick(rand, inner.getValues()).value;
  const named = getNamedType(inner);
  if (isScalarType(named)) {
    switch (named.name) {
      case 'ID':
        return pick(rand, ids());
      case 'Int':
      case 'SafeInt':
        return pick(rand, [...numbers.filter(Number.isInteger), 1, 100, 10_000]);
      case 'Boolean':
        return rand() < 0.5;
      case 'DateTime':
        return pick(rand, [
          '1970-01-01T00:00:00Z',
          '2100-01-01T00:00:00Z',
          new Date().toISOString(),
          'yesterday',
        ]);
      default:
        return pick(rand, strings);
    }
  }
  return anything(rand);
}

type Path = (string | number)[];

/** Every place in the value that holds something: object keys and list items, at any depth. */
function paths(value: unknown, at: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...at, i], ...paths(v, [...at, i])]);
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => [[...at, k], ...paths(v, [...at, k])]);
  return [];
}

function update(
  value: unknown,
  path: Path,
  change: (parent: Values | unknown[], key: string | number) => void,
) {
  let parent = value as Values;
  for (const key of path.slice(0, -1)) parent = (parent as Values)[key as string] as Values;
  change(parent, path.at(-1)!);
}

/** One case: the valid arguments bent one or several ways, or made up from the types alone. */
function bend(rand: () => number, base: Values, argTypes: Map<string, GraphQLInputType>): Values {
  const r = rand();
  if (r < 0.25) {
    const out: Values = {};
    for (const [name, type] of argTypes) out[name] = typed(rand, type);
    return out;
  }
  const value = structuredClone(base);
  const changes = r < 0.75 ? 1 : 2 + Math.floor(rand() * 3);
  for (let i = 0; i < changes; i++) {
    const all = paths(value);
    if (!all.length) break;
    const path = pick(rand, all);
    const how = rand();
    update(value, path, (parent, key) => {
      if (how < 0.7) (parent as Values)[key as string] = anything(rand);
      else if (how < 0.85 && !Array.isArray(parent)) delete (parent as Values)[key as string];
      else if (!Array.isArray(parent)) (parent as Values)[`${String(key)}Extra`] = anything(rand);
      else parent.push(anything(rand));
    });
  }
  return value;
}

/** The last row change counted so far. */
async function lastWrite(): Promise<bigint> {
  const [row] = await prisma.$queryRawUnsafe<{ n: bigint }[]>(
    'SELECT coalesce(max(id), 0) AS n FROM fuzz_writes',
  );
  return row!.n;
}

/** The tables written since `after`. */
async function writtenSince(after: bigint): Promise<string[]> {
  const rows = await prisma.$queryRawUnsafe<{ name: string }[]>(
    `SELECT DISTINCT name FROM fuzz_writes WHERE id > ${after} ORDER BY name`,
  );
  return rows.map((r) => r.name);
}

/** A trigger on every table records each row written; a refusal must record none. */
async function countWrites() {
  await prisma.$executeRawUnsafe('CREATE TABLE fuzz_writes (id bigserial PRIMARY KEY, name text NOT NULL)');
  await prisma.$executeRawUnsafe(
    `CREATE FUNCTION fuzz_count() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN INSERT INTO fuzz_writes (name) VALUES (TG_TABLE_NAME); RETURN NULL; END $$`,
  );
  const tables = await prisma.$queryRawUnsafe<{ name: string }[]>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
       AND table_name NOT IN ('_prisma_migrations', 'fuzz_writes')`,
  );
  for (const { name } of tables)
    await prisma.$executeRawUnsafe(
      `CREATE TRIGGER fuzz_count AFTER INSERT OR UPDATE OR DELETE ON "${name}" FOR EACH ROW EXECUTE FUNCTION fuzz_count()`,
    );
}

/**
 * The one refusal that writes on purpose: a refresh token used twice is taken as stolen, and the
 * whole session family is revoked (README, "Accounts, roles and keys").
 */
const refusalWrites: Record<string, string[]> = { refreshToken: ['RefreshToken'] };

/** Fuzzed as a user who may make the call (keys are left out: using one writes its last use). */
const callerOf = (c: Case): Persona =>
  c.allowed.includes('anonymous') ? 'anonymous' : (c.allowed.find((p) => p !== 'secretKey') ?? 'merchantX');

const mutationType = schema.getMutationType()!;
const names = Object.keys(mutationType.getFields());
const perMutation = Math.max(1, Math.round(total / names.length));
const tally = new Map<string, number>();

beforeAll(async () => {
  world = await useWorld();
  await countWrites();
}, 120_000);

describe(`fuzzing every mutation (seed ${seed}, ${perMutation} cases each)`, () => {
  test.each(names)('%s', async (name) => {
    const c = mutations[name] ?? { allowed: merchant };
    const persona = callerOf(c);
    const { queries, variables: base } = operationsFor(
      schema,
      'mutation',
      name,
      0,
      fillFrom(c.args ? await c.args() : {}),
    );
    const field = mutationType.getFields()[name]!;
    const argTypes = new Map(field.args.map((a) => [a.name, a.type]));
    const rand = random(seed ^ [...name].reduce((h, ch) => Math.imul(h, 31) + ch.charCodeAt(0), 7));
    const failures: string[] = [];
    for (let i = 0; i < perMutation; i++) {
      const variables = bend(rand, base, argTypes);
      const before = await lastWrite();
      const body = await call(queries[0]!, variables, c.fuzzAs?.() ?? world.credentials[persona]);
      const errors = body.errors ?? [];
      const internal = errors.find(
        (e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR' || !e.extensions?.code,
      );
      const repro = `case ${i} ${JSON.stringify(variables).slice(0, 400)}`;
      if (internal) failures.push(`${repro}: internal error: ${internal.message}`);
      const refused = errors.find((e) => !e.path || (e.path.length === 1 && e.path[0] === name));
      const code = refused ? (refused.extensions?.code ?? 'NO_CODE') : 'OK';
      tally.set(code, (tally.get(code) ?? 0) + 1);
      if (refused) {
        const written = (await writtenSince(before)).filter((t) => !refusalWrites[name]?.includes(t));
        if (written.length)
          failures.push(`${repro}: refused with ${code} but wrote to ${written.join(', ')}`);
      }
    }
    expect(failures).toEqual([]);
  });

  test('the cases reached the checks behind validation, not only the validation', () => {
    const answered = [...tally.values()].reduce((s, n) => s + n, 0);
    console.log(
      `fuzz: ${answered} cases, seed ${seed}: ${[...tally]
        .sort((p, q) => q[1] - p[1])
        .map(([code, n]) => `${code} ${n}`)
        .join(', ')}`,
    );
    expect(answered).toBe(perMutation * names.length);
    for (const code of ['OK', 'INVALID_INPUT', 'NOT_FOUND'])
      expect(tally.get(code) ?? 0, code).toBeGreaterThan(0);
  });
});
