import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const apiDir = fileURLToPath(new URL('../../apps/api/', import.meta.url));

export interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs one of the API's entry points as its own process, the way `pnpm start` does. */
export function run(script: string, env: Record<string, string | undefined>, args: string[] = []): Run {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: apiDir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Starts the API on a free port and resolves once it listens. */
export async function startServer(env: Record<string, string | undefined>) {
  const server = run('src/server.ts', { PORT: '0', HOST: '127.0.0.1', ...env });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${server.output()}`)), 60_000);
    const check = () => {
      const match = /"port":(\d+)[^\n]*API listening/.exec(server.output());
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    server.child.stdout!.on('data', check);
    server.exited.then((code) => reject(new Error(`server exited with ${code}:\n${server.output()}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    ...server,
    url,
    async gql(query: string, variables: Record<string, unknown> = {}, token?: string) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      return response.json();
    },
    async stop() {
      server.child.kill('SIGTERM');
      return server.exited;
    },
  };
}
