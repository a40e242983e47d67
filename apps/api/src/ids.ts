import { randomFillSync } from 'node:crypto';

const pool = new Uint8Array(16 * 256);
let offset = pool.length;
const hex = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * A UUIDv7 (RFC 9562): 48 bits of milliseconds, then random bits. Time-ordered, so click ids
 * sort by time like the database's own ids. Random bytes come from a pool refilled in bulk,
 * which keeps the redirect's hot path cheap.
 */
export function uuidv7(now = Date.now()): string {
  if (offset + 10 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const b = pool.subarray(offset, offset + 10);
  offset += 10;
  const ms = now.toString(16).padStart(12, '0');
  return (
    `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7${hex[b[0]!]!.slice(1)}${hex[b[1]!]}-` +
    `${hex[(b[2]! & 0x3f) | 0x80]}${hex[b[3]!]}-${hex[b[4]!]}${hex[b[5]!]}${hex[b[6]!]}${hex[b[7]!]}${hex[b[8]!]}${hex[b[9]!]}`
  );
}
