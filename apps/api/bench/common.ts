// What both benchmarks need: a scratch database, the API started as `pnpm start` starts it, and
// CPU time per process from Linux's /proc.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const apiDir = fileURLToPath(new URL('..', import.meta.url));

/** A database to create and drop on BENCH_DATABASE_URL (default: the local server). */
export function scratchDatabase() {
  const serverUrl = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const name = `aff_bench_${randomBytes(4).toString('hex')}`;
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { serverUrl, name, url: url.toString() };
}

export async function sql<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Starts a process in apps/api and resolves with the port it prints once `ready` matches. */
export function start(
  command: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = spawn(command, args, {
    cwd: apiDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Only the tail is kept: a server logging a line per operation would otherwise grow it without
  // end, and the readiness check would get slower with every chunk.
  let output = '';
  let started = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start:\n${output}`)), 60_000);
    const check = (chunk: Buffer) => {
      output = (output + chunk).slice(-20_000);
      if (started) return;
      const match = ready.exec(output);
      if (match) {
        started = true;
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]), output: () => output });
      }
    };
    // Keep reading after start-up, so a chatty process never blocks on a full pipe.
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
}

/**
 * The node arguments of `pnpm start`, so a benchmark measures what production runs.
 * BENCH_API_NODE_FLAGS adds flags in front, to see where the time goes (e.g. `--cpu-prof`).
 */
function apiStartArgs() {
  const scripts = JSON.parse(readFileSync(`${apiDir}/package.json`, 'utf8')).scripts;
  const [command, ...args] = (scripts.start as string).split(/\s+/);
  if (command !== 'node') throw new Error(`unexpected start script: ${scripts.start}`);
  const extra = process.env.BENCH_API_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [];
  return [...extra, ...args];
}

/** The API started as `pnpm start` starts it, on `databaseUrl` and a free port. */
export function startApi(databaseUrl: string, env: Record<string, string> = {}) {
  return start(
    'node',
    apiStartArgs(),
    {
      DATABASE_URL: databaseUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      JWT_SECRET: 'bench'.repeat(8),
      NODE_ENV: 'production',
      ...env,
    },
    /"port":(\d+)[^\n]*API listening/,
  );
}

/**
 * CTEs that insert `$2` affiliates (organizations and profiles) and enroll them, approved, in
 * program `$1`; the enrollments are the CTE `enrollments` (id, "referralCode").
 */
export const benchAffiliatesSql = `
  orgs AS (
    INSERT INTO "Organization" (id, name, slug, "isAffiliate", "updatedAt")
    SELECT gen_random_uuid(), 'Bench Affiliate ' || n, 'bench-affiliate-' || n, true, now()
    FROM generate_series(1, $2::int) n RETURNING id, slug
  ), profiles AS (
    INSERT INTO "AffiliateProfile" (id, "organizationId", "displayName", "contactEmail", "updatedAt")
    SELECT gen_random_uuid(), id, slug, slug || '@example.com', now() FROM orgs RETURNING id, "displayName"
  ), enrollments AS (
    INSERT INTO "Enrollment" (id, "programId", "affiliateId", status, "referralCode", "updatedAt")
    SELECT gen_random_uuid(), $1, id, 'APPROVED', "displayName", now() FROM profiles RETURNING id, "referralCode"
  )`;

/** CPU ticks (user + system) a process has used; 0 once it has gone. */
export const ticks = (pid: number | string) => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
};

/** CPU ticks of a process and of its children that have exited (waited for). */
const ticksWithChildren = (pid: string) => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  } catch {
    return 0;
  }
};

/**
 * CPU ticks of every PostgreSQL process on this machine, those of closed connections included:
 * the postmaster collects its exited backends' time.
 */
export const postgresTicks = () =>
  readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres');
      } catch {
        return false;
      }
    })
    .reduce((sum, pid) => sum + ticksWithChildren(pid), 0);

export const tickUs = 1e6 / 100; // USER_HZ
