import type { PGlite } from '@electric-sql/pglite';

interface Queued {
  handlerId: number;
  message: Uint8Array;
  resolve: (bytes: number) => void;
  reject: (error: unknown) => void;
  onData: (data: Uint8Array) => void;
}

interface QueryQueue {
  queue: Queued[];
  processing: boolean;
  lastHandlerId: number | null;
  db: PGlite;
  processQueue(): Promise<void>;
}

// Extended-protocol messages that open or continue a group ended by Sync ('S').
const groupMessages = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((c) => c.charCodeAt(0)));
const sync = 'S'.charCodeAt(0);

/**
 * pglite-socket serves every connection from one PGlite session and keeps a connection's
 * transaction to itself, but outside a transaction it interleaves single messages: one
 * connection's Parse/Bind/Execute/Sync can be split by another's, which then binds to the wrong
 * statement ("bind message supplies 3 parameters, but prepared statement requires 5"). This
 * keeps each connection's group of messages, up to its Sync, together.
 */
export function keepMessageGroupsTogether(server: object) {
  const q = (server as { queryQueue: QueryQueue }).queryQueue;
  let groupOf: number | null = null;
  q.processQueue = async function processQueue() {
    if (q.processing || q.queue.length === 0) return;
    q.processing = true;
    try {
      while (q.queue.length > 0) {
        const owner = groupOf ?? (q.db.isInTransaction() ? q.lastHandlerId : null);
        const index = owner === null ? 0 : q.queue.findIndex((item) => item.handlerId === owner);
        if (index === -1) break; // wait for the owner's next message
        const item = q.queue.splice(index, 1)[0]!;
        const type = item.message[0]!;
        let bytes = 0;
        try {
          await q.db.runExclusive(() =>
            q.db.execProtocolRawStream(item.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
        } catch (error) {
          groupOf = null;
          item.reject(error);
          continue;
        }
        if (groupMessages.has(type)) groupOf = item.handlerId;
        else if (type === sync || item.handlerId === groupOf) groupOf = null;
        q.lastHandlerId = item.handlerId;
        item.resolve(bytes);
      }
    } finally {
      q.processing = false;
    }
  };
  // A connection that goes away in mid-group must not hold the others back.
  const clear = (q as unknown as { clearQueueForHandler(id: number): void }).clearQueueForHandler.bind(q);
  (q as unknown as { clearQueueForHandler(id: number): void }).clearQueueForHandler = (id: number) => {
    if (groupOf === id) groupOf = null;
    clear(id);
    void q.processQueue();
  };
}
