import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('configuration', () => {
  test('defaults give a working development setup', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 4000,
      NODE_ENV: 'development',
      GRAPHIQL: true,
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.DATA_DIR).toMatch(/apps\/api\/\.data$/);
  });

  test.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://localhost/db' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ GRAPHIQL: 'maybe' }, 'GRAPHIQL'],
    [{ NODE_ENV: 'production' }, 'JWT_SECRET'],
  ])('%o is refused with a message naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration:\\n  ${variable}: `));
  });

  test('production runs with a secret; empty variables count as unset', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(32),
      PORT: '',
      DATABASE_URL: 'postgresql://u:p@db:5432/app',
    });
    expect(config.PORT).toBe(4000);
    expect(config.DATABASE_URL).toBe('postgresql://u:p@db:5432/app');
  });

  test('network admin emails are a normalized list', () => {
    expect(
      loadConfig({ NETWORK_ADMIN_EMAILS: ' Root@Example.com, ,ops@example.com' }).NETWORK_ADMIN_EMAILS,
    ).toEqual(['root@example.com', 'ops@example.com']);
  });
});
