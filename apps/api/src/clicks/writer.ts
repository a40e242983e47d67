import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { clickRollupSql, clickRollups, clickRollupValues } from '../reports/clicks.ts';
import { type ClickBatch, clickColumns as columns } from './batch.ts';

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
function iso(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
const safe = (value: string | null) => value ?? '\\N';

/** The batch in COPY's text format, in the order of `columns`. */
export function copyText(b: ClickBatch): string {
  let out = '';
  for (let i = 0; i < b.size; i++) {
    out += `${b.id[i]}\t${b.programId[i]}\t${b.enrollmentId[i]}\t${safe(b.linkId[i]!)}\t${b.source[i]}\t${iso(b.createdAt[i]!)}\t${b.isUnique[i] ? 't' : 'f'}\t${safe(b.ipHash[i]!)}\t${text(b.userAgent[i]!)}\t${text(b.referrer[i]!)}\t${text(b.country[i]!)}\t${text(b.landingUrl[i]!)}\t${text(b.sub1[i]!)}\t${text(b.sub2[i]!)}\t${text(b.sub3[i]!)}\t${text(b.sub4[i]!)}\t${text(b.sub5[i]!)}\n`;
  }
  return out;
}

/**
 * Writes a batch of clicks with COPY, PostgreSQL's bulk load: far less work per row, on both
 * sides, than an INSERT (let alone one through the ORM). This is the redirect's only write and
 * runs on its own small pool. A batch is all or nothing, so a failed one is simply retried; a
 * retry of a batch that did commit (the connection broke before COMMIT's answer arrived) finds
 * its clicks stored, and that counts as written.
 */
export function clickWriter(databaseUrl: string, method: 'copy' | 'insert') {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2, connectionTimeoutMillis: 5_000 });
  pool.on('error', () => {}); // an idle client's error is reported by the next write
  return {
    /** The clicks and the reports' counts of them, in one transaction. */
    async write(batch: ClickBatch) {
      const rollups = clickRollups(batch);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        if (method === 'insert') {
          const createdAt = batch.createdAt.map((ms) => new Date(ms));
          await client.query(
            insert,
            columns.map((name) => (name === 'createdAt' ? createdAt : batch[name])),
          );
        } else await pipeline(Readable.from([copyText(batch)]), client.query(copyFrom(copy)));
        await client.query(clickRollupSql, clickRollupValues(rollups));
        await client.query('COMMIT');
      } catch (error) {
        client.release(true); // the connection may be mid-COPY or mid-transaction: do not reuse it
        // Otherwise the same batch would fail on its own ids forever, and every click after it wait
        // behind it until the buffer is full.
        if (isDuplicateClick(error) && (await storedAlready(pool, batch))) return;
        throw error;
      }
      client.release();
    },
    close: () => pool.end(),
  };
}

const isDuplicateClick = (error: unknown) =>
  (error as { code?: string }).code === '23505' &&
  (error as { constraint?: string }).constraint === 'Click_pkey';

/** Whether every click of the batch is stored: then an earlier attempt committed all of it. */
async function storedAlready(pool: pg.Pool, batch: ClickBatch) {
  const { rows } = await pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM "Click" WHERE id = ANY($1::uuid[])',
    [batch.id],
  );
  return rows[0]!.n === batch.size;
}
