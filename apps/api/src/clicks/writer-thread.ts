// The click writer's thread: receives batches from the request thread and writes them.
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { clickWriter } from './writer.ts';

const { url, method } = workerData as { url: string; method: 'copy' | 'insert' };
const writer = clickWriter(url, method);

// Writing clicks can wait; answering redirects cannot. At the lowest priority this thread runs
// when a core is idle rather than taking turns with the request thread and the load it serves.
// (On Linux a nice value belongs to a thread, so this leaves the request thread as it was.)
try {
  setPriority(0, 19);
} catch {
  // not permitted on this platform: the thread keeps the process's priority
}

parentPort!.on(
  'message',
  async (message: { id: number; batch?: Parameters<typeof writer.write>[0]; close?: true }) => {
    if (message.close) {
      await writer.close();
      parentPort!.postMessage({ id: message.id, ok: true });
      return;
    }
    try {
      await writer.write(message.batch!);
      parentPort!.postMessage({ id: message.id, ok: true });
    } catch (error) {
      parentPort!.postMessage({
        id: message.id,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  },
);
