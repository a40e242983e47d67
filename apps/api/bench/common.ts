// What the benchmarks need: a scratch database (or a PostgreSQL cluster of their own, to stop and
// crash), the API started as `pnpm start` starts it, CPU time per process from Linux's /proc, and
// a proxy that breaks connections to PostgreSQL at chosen moments.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { type AddressInfo, connect, createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** A port nobody listens on right now (the kernel's pick, released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The newest PostgreSQL server binaries: BENCH_PG_BIN, else Debian's /usr/lib/postgresql/<n>/bin. */
function postgresBin() {
  if (process.env.BENCH_PG_BIN) return process.env.BENCH_PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(`${root}/${v}/bin/pg_ctl`))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) throw new Error(`no PostgreSQL server binaries in ${root}; set BENCH_PG_BIN`);
  return `${root}/${versions[0]}/bin`;
}

export type ClusterStopMode = 'smart' | 'fast' | 'immediate';

/**
 * A throwaway PostgreSQL cluster of its own (initdb in a temporary folder, a free port), so a
 * benchmark can stop and crash it without disturbing anyone else's server. PostgreSQL refuses to
 * run as root: then its commands run as the `postgres` user. Durability settings stay at their
 * defaults (fsync, synchronous_commit, full_page_writes on): a crash must cost what it costs.
 */
export async function startCluster() {
  const bin = postgresBin();
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? userIds('postgres') : null;
  const dir = mkdtempSync(join(tmpdir(), 'aff-pg-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const port = await freePort();
  // Asynchronous, so a benchmark's load keeps running while PostgreSQL stops and starts.
  const run = (tool: string, args: string[]) => {
    const [command, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', `${bin}/${tool}`, ...args]]
      : [`${bin}/${tool}`, args];
    const child = spawn(command, argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    return new Promise<string>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0
          ? resolve(output)
          : reject(new Error(`${tool} ${args.join(' ')} failed (${code}):\n${output}`)),
      );
    });
  };
  const pgCtl = (...args: string[]) =>
    run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', ...args]);
  const cluster = {
    dir,
    port,
    /** A URL of database `name` on this cluster. */
    url: (name = 'postgres') => `postgresql://postgres@127.0.0.1:${port}/${name}`,
    /** Stops it (`fast`: connections are ended; `immediate`: a crash, recovered at next start). */
    stop: (mode: ClusterStopMode = 'fast') => pgCtl('stop', '-m', mode),
    start: () => pgCtl('start'),
    /** Stops and starts it; resolves once it accepts connections again. */
    restart: (mode: ClusterStopMode = 'fast') => pgCtl('restart', '-m', mode),
    /** Stops it if it runs and deletes its folder; safe to call twice, and from an exit handler. */
    destroy() {
      if (existsSync(join(data, 'postmaster.pid'))) {
        const [command, argv] = asRoot
          ? ['runuser', ['-u', 'postgres', '--', `${bin}/pg_ctl`]]
          : [`${bin}/pg_ctl`, []];
        spawnSync(command, [...argv, '-D', data, '-w', 'stop', '-m', 'immediate'], { stdio: 'ignore' });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-instructions', '-E', 'UTF8']);
    // Sockets in the cluster's own folder, TCP on 127.0.0.1 only; room for several API processes.
    appendFileSync(
      join(data, 'postgresql.conf'),
      `\nport = ${port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${dir}'\nmax_connections = 200\n`,
    );
    await cluster.start();
  } catch (error) {
    cluster.destroy();
    throw error;
  }
  return cluster;
}

export type Cluster = Awaited<ReturnType<typeof startCluster>>;

function userIds(name: string) {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`no user ${name}: PostgreSQL will not run as root`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export type CutTarget = 'click-batch' | 'conversion';

/**
 * A TCP proxy in front of PostgreSQL that can cut a connection right after a write committed,
 * before the answer reaches the client: the client sees the connection fail, the database keeps
 * the write. `cut('click-batch')` does it to the next transaction that ran a COPY (the click
 * writer's), `cut('conversion')` to the next run of the prepared statement `conversion-insert`.
 * It follows the wire protocol's message framing to know where it is.
 */
export async function postgresProxy(targetPort: number) {
  const waiting: { target: CutTarget; done: () => void }[] = [];
  const sockets = new Set<Socket>();
  const server = createNetServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let copied = false; // this transaction ran a COPY
    let converting = false; // the statement running is the conversion insert
    let held: { done: () => void } | null = null;
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    // Client to server: the startup message comes first, without a type byte.
    frames(
      client,
      true,
      (chunk) => upstream.write(chunk),
      (type, body) => {
        if (type === 0x42 /* Bind: portal name, then statement name */) {
          const portalEnd = body.indexOf(0);
          converting =
            body.toString('latin1', portalEnd + 1, body.indexOf(0, portalEnd + 1)) === 'conversion-insert';
        }
        return true;
      },
    );
    frames(
      upstream,
      false,
      (chunk) => client.write(chunk),
      (type, body) => {
        if (held) {
          // Nothing after the write's CommandComplete gets through; at ReadyForQuery it committed.
          if (type === 0x5a /* ReadyForQuery */) {
            end();
            held.done();
          }
          return false;
        }
        if (type === 0x47 /* CopyInResponse */) copied = true;
        if (type === 0x43 /* CommandComplete */) {
          const tag = body.toString('latin1', 0, body.length - 1);
          const target = copied && tag === 'COMMIT' ? 'click-batch' : converting ? 'conversion' : null;
          const i = target ? waiting.findIndex((w) => w.target === target) : -1;
          if (i >= 0) {
            held = waiting.splice(i, 1)[0]!;
            return false;
          }
        }
        if (type === 0x5a && body[0] === 0x49 /* 'I': idle, the transaction is over */) {
          copied = false;
          converting = false;
        }
        return true;
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    /** Resolves once a connection was cut right after such a write committed. */
    cut: (target: CutTarget) => new Promise<void>((done) => waiting.push({ target, done })),
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

/**
 * Splits a PostgreSQL stream into messages (a type byte, a 4-byte length counting itself, the
 * body) and forwards, whole, each one that `keep` lets through.
 */
function frames(
  from: Socket,
  startup: boolean,
  forward: (chunk: Buffer) => void,
  keep: (type: number, body: Buffer) => boolean,
) {
  let typed = !startup;
  let buffer: Buffer = Buffer.alloc(0);
  from.on('data', (chunk: Buffer) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    const out: Buffer[] = [];
    let offset = 0;
    while (buffer.length - offset >= 5) {
      const head = typed ? 1 : 0;
      const size = head + buffer.readUInt32BE(offset + head);
      if (buffer.length - offset < size) break;
      const message = buffer.subarray(offset, offset + size);
      if (!typed || keep(message[0]!, message.subarray(5))) out.push(message);
      typed = true;
      offset += size;
    }
    buffer = buffer.subarray(offset);
    if (out.length) forward(out.length === 1 ? out[0]! : Buffer.concat(out));
  });
}
