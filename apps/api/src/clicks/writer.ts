import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { ClickRow } from './recorder.ts';

const columns = [
  'id',
  'programId',
  'enrollmentId',
  'linkId',
  'source',
  'createdAt',
  'isUnique',
  'ipHash',
  'userAgent',
  'referrer',
  'country',
  'landingUrl',
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'sub5',
] as const satisfies readonly (keyof ClickRow)[];

const list = columns.map((name) => `"${name}"`).join(', ');
const copy = `COPY "Click" (${list}) FROM STDIN`;

// The embedded database's wire server does not speak COPY: there, one INSERT with an array per
// column (17 parameters per batch, not 17 per click).
const types = [
  'uuid',
  'uuid',
  'uuid',
  'uuid',
  '"ClickSource"',
  'timestamptz',
  'boolean',
  'text',
  'text',
  'text',
  'char(2)',
  'text',
  'text',
  'text',
  'text',
  'text',
  'text',
];
const insert = `INSERT INTO "Click" (${list}) SELECT * FROM unnest(${types.map((type, i) => `$${i + 1}::${type}[]`).join(', ')})`;

const specials: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One value in COPY's text format: \N for null, and backslash, tab and newlines escaped. */
export function copyValue(value: string | boolean | Date | null): string {
  if (value === null) return '\\N';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => specials[c]!) : value;
}

// Most values repeat (user agents, sub-IDs) or are safe by construction (ids, enums, hashes,
// two-letter countries), and many clicks share a millisecond; so escaped text and date strings
// are reused, which is most of what COPY costs on this side.
const escaped = new Map<string, string>();
function text(value: string | null): string {
  if (value === null) return '\\N';
  let out = escaped.get(value);
  if (out === undefined) {
    out = copyValue(value);
    if (escaped.size >= 10_000) escaped.clear();
    escaped.set(value, out);
  }
  return out;
}
let lastMs = Number.NaN;
let lastIso = '';
function iso(date: Date): string {
  const ms = date.getTime();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = date.toISOString();
  }
  return lastIso;
}
const safe = (value: string | null) => value ?? '\\N';

/** The rows in COPY's text format, in the order of `columns`. */
export function copyText(rows: ClickRow[]): string {
  let out = '';
  for (const r of rows) {
    out += `${r.id}\t${r.programId}\t${r.enrollmentId}\t${safe(r.linkId)}\t${r.source}\t${iso(r.createdAt)}\t${r.isUnique ? 't' : 'f'}\t${safe(r.ipHash)}\t${text(r.userAgent)}\t${text(r.referrer)}\t${text(r.country)}\t${text(r.landingUrl)}\t${text(r.sub1)}\t${text(r.sub2)}\t${text(r.sub3)}\t${text(r.sub4)}\t${text(r.sub5)}\n`;
  }
  return out;
}

/**
 * Writes a batch of clicks with COPY, PostgreSQL's bulk load: far less work per row, on both
 * sides, than an INSERT (let alone one through the ORM). This is the redirect's only write and
 * runs on its own small pool. A batch is all or nothing, so a failed one is simply retried.
 */
export function clickWriter(databaseUrl: string, method: 'copy' | 'insert') {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2, connectionTimeoutMillis: 5_000 });
  pool.on('error', () => {}); // an idle client's error is reported by the next write
  return {
    async write(rows: ClickRow[]) {
      if (method === 'insert') {
        await pool.query(
          insert,
          columns.map((name) => rows.map((row) => row[name])),
        );
        return;
      }
      const client = await pool.connect();
      try {
        await pipeline(Readable.from([copyText(rows)]), client.query(copyFrom(copy)));
      } catch (error) {
        client.release(true); // the connection may be mid-COPY: do not reuse it
        throw error;
      }
      client.release();
    },
    close: () => pool.end(),
  };
}
