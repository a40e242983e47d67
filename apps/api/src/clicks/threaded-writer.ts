import { Worker } from 'node:worker_threads';
import type { ClickBatch } from './batch.ts';

/**
 * The click writer on a thread of its own: turning a batch into COPY data and streaming it costs
 * several microseconds per click, which would otherwise be taken from answering redirects. Same
 * contract as clickWriter: write() resolves once the batch is stored and rejects if it was not.
 */
export function threadedClickWriter(url: string, method: 'copy' | 'insert') {
  const waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  let next = 0;
  let worker: Worker | null = null;

  function spawn() {
    const thread = new Worker(new URL('./writer-thread.mjs', import.meta.url), {
      workerData: { url, method },
    });
    thread.on('message', ({ id, ok, error }: { id: number; ok: boolean; error?: string }) => {
      const call = waiting.get(id);
      waiting.delete(id);
      if (ok) call?.resolve();
      else call?.reject(new Error(error));
    });
    // A dead thread fails what it held (the recorder keeps and retries those batches); the next
    // write starts a new one, at the recorder's retry pace.
    thread.on('error', (error) => {
      for (const call of waiting.values()) call.reject(error);
      waiting.clear();
      if (worker === thread) worker = null;
    });
    return thread;
  }

  const call = (message: object) =>
    new Promise<void>((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject });
      worker ??= spawn();
      worker.postMessage({ id, ...message });
    });

  return {
    /** Starts the thread now: loading it takes a second or two, which a first batch should not wait for. */
    start() {
      worker ??= spawn();
    },
    write: (batch: ClickBatch) => call({ batch }),
    async close() {
      if (!worker) return;
      await call({ close: true });
      await worker.terminate();
    },
  };
}
