// The click writer's thread: receives batches from the request thread and writes them.
import { parentPort, workerData } from 'node:worker_threads';
import { clickWriter } from './writer.ts';

const { url, method } = workerData as { url: string; method: 'copy' | 'insert' };
const writer = clickWriter(url, method);

parentPort!.on(
  'message',
  async (message: { id: number; rows?: Parameters<typeof writer.write>[0]; close?: true }) => {
    if (message.close) {
      await writer.close();
      parentPort!.postMessage({ id: message.id, ok: true });
      return;
    }
    try {
      await writer.write(message.rows!);
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
