import { defineConfig } from 'vitest/config';

// One test command for the whole tree. Kinds run alone with --project:
// `pnpm test --project unit`, `--project integration`, `--project e2e`.
// Integration and e2e tests use the embedded database, or PostgreSQL when TEST_DATABASE_URL is set.
const env = {
  NODE_ENV: 'test',
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  JWT_SECRET: 'test-only-secret-that-is-long-enough-1234567890',
};

// graphql 16 has no "exports" map: Node loads its CommonJS build for dependencies (Pothos,
// Yoga) while Vite would pick the ES build for our code, and two copies of graphql refuse each
// other's types. Point Vite at the same build Node uses.
const resolve = { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] };

export default defineConfig({
  resolve,
  test: {
    projects: [
      {
        resolve,
        test: {
          name: 'unit',
          root: 'apps/api',
          include: ['test/unit/**/*.test.ts'],
          env,
        },
      },
      {
        resolve,
        test: {
          name: 'integration',
          root: 'apps/api',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/setup/global.ts'],
          setupFiles: ['test/setup/database.ts'],
          pool: 'forks',
          // Generous: these machines' speed varies fivefold from day to day. A timeout is not
          // what a test asserts.
          testTimeout: 180_000,
          hookTimeout: 300_000,
          env,
        },
      },
      {
        test: {
          name: 'e2e',
          root: '.',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          env: { LOG_LEVEL: 'info' },
        },
      },
    ],
  },
});
