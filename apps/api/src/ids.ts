import { randomBytes } from 'node:crypto';

// Random hex digits made in bulk (one call per ~200 ids), and the time part reused while the
// millisecond lasts: this runs on every redirect.
let pool = '';
let offset = 0;
let lastMs = -1;
let prefix = '';
// RFC 9562's variant is the bits 10xx: one hex digit's low two bits pick 8, 9, a or b.
const variant = Array.from(
  { length: 128 },
  (_, code) => '89ab'[Number.parseInt(String.fromCharCode(code), 16) & 3],
);

/**
 * A UUIDv7 (RFC 9562): 48 bits of milliseconds, the version, then 74 random bits. Time-ordered,
 * so click ids sort by time like the database's own ids.
 */
export function uuidv7(now = Date.now()): string {
  if (offset + 19 > pool.length) {
    pool = randomBytes(2048).toString('hex');
    offset = 0;
  }
  if (now !== lastMs) {
    const ms = now.toString(16).padStart(12, '0');
    prefix = `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7`;
    lastMs = now;
  }
  const i = offset;
  offset += 19;
  return `${prefix}${pool.slice(i, i + 3)}-${variant[pool.charCodeAt(i + 3)]}${pool.slice(i + 4, i + 7)}-${pool.slice(i + 7, i + 19)}`;
}
