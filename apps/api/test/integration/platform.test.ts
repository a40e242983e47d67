import { readFileSync } from 'node:fs';
import SchemaBuilder from '@pothos/core';
import { GraphQLObjectType } from 'graphql';
import { describe, expect, test } from 'vitest';
import { pendingSchemaSql } from '../../src/database/diff.ts';
import { migrationStatus, readMigrationList } from '../../src/database/migrations.ts';
import { printedSchema, schema } from '../../src/schema/index.ts';
import { createApp } from '../../src/yoga.ts';
import { app } from '../helpers.ts';

describe('HTTP surface', () => {
  test('/healthz answers while the process lives; /readyz checks the database', async () => {
    expect((await app.fetch('http://api.test/healthz')).status).toBe(200);
    expect((await app.fetch('http://api.test/readyz')).status).toBe(200);
  });

  test('GraphiQL is served at /graphql to browsers', async () => {
    const response = await app.fetch('http://api.test/graphql', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('GraphiQL');
  });
});

describe('errors', () => {
  test('unexpected errors are masked, carry a request id, and hide their details', async () => {
    const builder = new SchemaBuilder<{ Context: object }>({} as never); // only the core, none of the app's plugins
    builder.queryType({
      fields: (t) => ({
        boom: t.string({
          resolve: () => {
            throw new Error('connection string postgres://secret@db');
          },
        }),
      }),
    });
    const failing = createApp({ schema: builder.toSchema() });
    const response = await failing.fetch('http://api.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-123' },
      body: JSON.stringify({ query: '{ boom }' }),
    });
    const body = await response.json();
    expect(body.errors).toEqual([
      {
        message: 'Unexpected error',
        locations: [{ line: 1, column: 3 }],
        path: ['boom'],
        extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-123' },
      },
    ]);
    expect(JSON.stringify(body)).not.toContain('secret');
    expect(response.headers.get('x-request-id')).toBe('req-123');
  });

  test('a field that declares no access rule refuses everyone (default deny)', async () => {
    const builder = new SchemaBuilder<{ Context: object }>({ plugins: ['defaultDeny'] } as never);
    builder.queryType({ fields: (t) => ({ open: t.string({ resolve: () => 'data' }) }) });
    const app = createApp({ schema: builder.toSchema() });
    const response = await app.fetch('http://api.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ open }' }),
    });
    const body = await response.json();
    expect(body.data).toEqual({ open: null });
    expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  test('every root field and every database-backed type of the real schema declares an access rule', () => {
    const scopesOf = (node: { extensions?: unknown }) =>
      (node.extensions as { pothosOptions?: { authScopes?: unknown } }).pothosOptions?.authScopes;
    const unguarded: string[] = [];
    for (const root of [schema.getQueryType()!, schema.getMutationType()!]) {
      for (const field of Object.values(root.getFields())) {
        if (!scopesOf(field)) unguarded.push(`${root.name}.${field.name}`);
      }
    }
    for (const type of Object.values(schema.getTypeMap())) {
      if (
        !(type instanceof GraphQLObjectType) ||
        !(type.extensions as { pothosPrismaModel?: string }).pothosPrismaModel
      )
        continue;
      if (scopesOf(type)) continue;
      for (const field of Object.values(type.getFields()))
        if (!scopesOf(field)) unguarded.push(`${type.name}.${field.name}`);
    }
    expect(unguarded).toEqual([]);
    expect(Object.keys(schema.getMutationType()!.getFields()).length).toBeGreaterThan(5);
  });
});

describe('schema and migrations', () => {
  test('the committed schema.graphql matches the code (run `pnpm schema:print`)', () => {
    const committed = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(printedSchema());
  });

  test('the migrations cover schema.prisma (run `pnpm db:migrate:create <name>`)', async () => {
    expect(await pendingSchemaSql()).toBe('');
  });

  test('this database has every migration applied, none edited or failed', async () => {
    const status = await migrationStatus(process.env.TEST_DB_URL!);
    expect(status).toMatchObject({
      history: null,
      failedMigrationNames: [],
      editedMigrationNames: [],
      hasMigrationsTable: true,
    });
    expect((await readMigrationList()).migrationDirectories.length).toBeGreaterThan(0);
  });
});
