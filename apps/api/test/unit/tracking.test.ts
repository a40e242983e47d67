import type { IncomingMessage } from 'node:http';
import { describe, expect, test } from 'vitest';
import { type ClickAllowance, MemoryClickAllowance } from '../../src/clicks/allowance.ts';
import { type ClickBatch, type ClickRow, rowsOf } from '../../src/clicks/batch.ts';
import { ClickRecorder, type PendingClick } from '../../src/clicks/recorder.ts';
import { MemoryUniqueTracker } from '../../src/clicks/unique.ts';
import { readVisitor } from '../../src/clicks/visitor.ts';
import { copyValue } from '../../src/clicks/writer.ts';
import { uuidv7 } from '../../src/ids.ts';
import { splitTarget } from '../../src/links/destination.ts';

const program = { websiteUrl: 'https://shop.example', defaultUrl: null, allowedDomains: ['shop.example'] };

describe('redirect targets', () => {
  test('UTM parameters are added; the click id goes before the fragment', () => {
    const target = splitTarget(
      {
        destinationUrl: 'https://shop.example/tents?color=red#reviews',
        utm: { source: 'sam', medium: 'affiliate', campaign: null },
      },
      program,
    )!;
    expect(`${target.prefix}ref_id=ID${target.suffix}`).toBe(
      'https://shop.example/tents?color=red&utm_source=sam&utm_medium=affiliate&ref_id=ID#reviews',
    );
    expect(target.plain).toBe(
      'https://shop.example/tents?color=red&utm_source=sam&utm_medium=affiliate#reviews',
    );
  });

  test("the program's default page when there is no deep link", () => {
    expect(splitTarget({ destinationUrl: null, utm: {} }, program)).toEqual({
      prefix: 'https://shop.example/?',
      suffix: '',
      plain: 'https://shop.example/',
    });
  });

  test('a target outside the allowed domains never redirects', () => {
    expect(splitTarget({ destinationUrl: 'https://evil.example/', utm: {} }, program)).toBeNull();
  });
});

describe('click ids', () => {
  test('UUIDv7: version and variant bits, sortable by time', () => {
    const a = uuidv7(1_700_000_000_000);
    const b = uuidv7(1_700_000_000_001);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
    expect(new Set(Array.from({ length: 10_000 }, () => uuidv7())).size).toBe(10_000);
  });
});

// Header names as browsers send them (any case); the reader must not care.
const request = (headers: Record<string, string>, remoteAddress = '10.0.0.1') =>
  ({
    rawHeaders: Object.entries(headers).flatMap(([name, value], i) => [
      i % 2 ? name.toUpperCase() : name,
      value,
    ]),
    socket: { remoteAddress },
  }) as unknown as IncomingMessage;
const direct = { trustProxy: false, countryHeader: 'cf-ipcountry' };
const proxied = { trustProxy: true, countryHeader: 'cf-ipcountry' };
const browser =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15';

describe('visitors', () => {
  test.each([
    [request({ 'user-agent': browser }), true],
    [request({ 'user-agent': 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)' }), false],
    [request({ 'user-agent': 'facebookexternalhit/1.1' }), false],
    [
      request({ 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' }),
      false,
    ],
    [request({ 'user-agent': 'curl/8.5.0' }), false],
    [request({}), false],
    [request({ 'user-agent': browser, 'sec-purpose': 'prefetch;prerender' }), false],
    [request({ 'User-Agent': browser, Purpose: 'preview' }), false],
  ])('a person: %#', (req, expected) => {
    expect(readVisitor(req, direct).automated).toBe(!expected);
  });

  test('the forwarded address and country are used only behind a trusted proxy', () => {
    const req = request({ 'x-forwarded-for': '203.0.113.7, 10.0.0.2', 'cf-ipcountry': 'de' });
    expect(readVisitor(req, proxied)).toMatchObject({ ip: '203.0.113.7', country: 'DE' });
    expect(readVisitor(req, direct)).toMatchObject({ ip: '10.0.0.1', country: null });
    expect(readVisitor(request({ 'CF-IPCountry': 'XX' }), proxied).country).toBeNull();
  });

  test('user agent and referrer are kept, cut to their limits', () => {
    const req = request({ 'user-agent': browser, Referer: `https://blog.example/${'a'.repeat(3000)}` });
    expect(readVisitor(req, direct)).toMatchObject({ userAgent: browser, automated: false });
    expect(readVisitor(req, direct).referrer).toHaveLength(2048);
  });
});

function click(n: number, ip: string | null = '198.51.100.1', agent = browser): PendingClick {
  return {
    id: uuidv7(),
    programId: 'p',
    enrollmentId: 'e',
    linkId: 'l',
    source: 'REDIRECT',
    createdAt: Date.now(),
    ip,
    userAgent: agent,
    referrer: null,
    country: null,
    landingUrl: null,
    subs: [`s${n}`],
  };
}

function recorder(
  write: (rows: ClickRow[]) => Promise<void>,
  limit = 100,
  allowance: ClickAllowance = new MemoryClickAllowance(1000, 60_000),
) {
  const log = { warn: () => {}, error: () => {}, info: () => {} };
  return new ClickRecorder({
    write: (batch: ClickBatch) => write(rowsOf(batch)),
    saltFor: async () => 'salt',
    unique: new MemoryUniqueTracker(),
    allowance,
    log,
    limit,
    batchSize: 10,
    intervalMs: 10,
  });
}

describe('the click recorder', () => {
  test('writes in batches, hashes the IP, and marks the first click per visitor and link as unique', async () => {
    const batches: ClickRow[][] = [];
    const r = recorder(async (rows) => void batches.push(rows));
    for (let i = 0; i < 12; i++) r.record(click(i, i < 11 ? '198.51.100.1' : '198.51.100.2'));
    await r.flush();
    expect(batches.map((b) => b.length)).toEqual([10, 2]);
    const rows = batches.flat();
    expect(rows.map((row) => row.isUnique)).toEqual([true, ...Array(10).fill(false), true]);
    expect(JSON.stringify(rows)).not.toContain('198.51.100');
    expect(rows[0]!.ipHash).toMatch(/^[\w-]{43}$/);
    expect(rows[0]!.sub1).toBe('s0');
    expect(r.recorded).toBe(12);
  });

  test('keeps clicks while the database is down, drops (and counts) beyond the limit, and catches up', async () => {
    let up = false;
    const written: ClickRow[] = [];
    const r = recorder(async (rows) => {
      if (!up) throw new Error('connection refused');
      written.push(...rows);
    }, 25);
    for (let i = 0; i < 30; i++) r.record(click(i));
    await r.flush();
    expect(r.buffered).toBe(25);
    expect(r.dropped).toBe(5);
    up = true;
    await r.stop(1_000);
    expect(written.map((row) => row.sub1)).toEqual(Array.from({ length: 25 }, (_, i) => `s${i}`));
    expect(r.buffered).toBe(0);
    // a retried batch keeps the uniqueness decided the first time
    expect(written.filter((row) => row.isUnique)).toHaveLength(1);
  });

  test('a batch that cannot even be prepared stays buffered', async () => {
    const written: ClickRow[] = [];
    let saltUp = false;
    const log = { warn: () => {}, error: () => {}, info: () => {} };
    const r = new ClickRecorder({
      write: async (batch) => void written.push(...rowsOf(batch)),
      saltFor: async () => {
        if (!saltUp) throw new Error('database down');
        return 'salt';
      },
      unique: new MemoryUniqueTracker(),
      allowance: new MemoryClickAllowance(1000, 60_000),
      log,
      limit: 100,
      batchSize: 10,
      intervalMs: 10,
    });
    r.record(click(1));
    await r.flush();
    expect(r.buffered).toBe(1);
    saltUp = true;
    await r.stop(1_000);
    expect(written).toHaveLength(1);
  });

  test("clicks beyond a visitor's allowance are answered but not stored, per IP and program", async () => {
    const written: ClickRow[] = [];
    const r = recorder(async (rows) => void written.push(...rows), 100, new MemoryClickAllowance(3, 60_000));
    for (let i = 0; i < 5; i++) r.record(click(i, '198.51.100.1'));
    r.record({ ...click(5, '198.51.100.1'), programId: 'other' });
    for (let i = 6; i < 8; i++) r.record(click(i, '198.51.100.2'));
    r.record(click(8, null));
    await r.flush();
    for (let i = 9; i < 11; i++) r.record(click(i, '198.51.100.2'));
    await r.flush();
    expect(written.map((row) => row.sub1)).toEqual(['s0', 's1', 's2', 's5', 's6', 's7', 's8', 's9']);
    expect(r.overAllowance).toBe(3);
    expect(r.recorded).toBe(8);
    expect(r.buffered).toBe(0);
  });

  test('a retried batch is not counted against the allowance twice', async () => {
    let up = false;
    const written: ClickRow[] = [];
    const r = recorder(
      async (rows) => {
        if (!up) throw new Error('connection refused');
        written.push(...rows);
      },
      100,
      new MemoryClickAllowance(4, 60_000),
    );
    for (let i = 0; i < 6; i++) r.record(click(i));
    await r.flush();
    await r.flush();
    up = true;
    await r.stop(1_000);
    expect(written.map((row) => row.sub1)).toEqual(['s0', 's1', 's2', 's3']);
    expect(r.overAllowance).toBe(2);
  });

  test('at shutdown, what cannot be written before the deadline is counted as dropped', async () => {
    const r = recorder(async () => {
      throw new Error('down');
    });
    r.record(click(1));
    r.record(click(2));
    await r.stop(50);
    expect(r.dropped).toBe(2);
    expect(r.buffered).toBe(0);
  });
});

describe('COPY text format', () => {
  test('nulls, booleans, dates, and the characters COPY treats specially', () => {
    expect(copyValue(null)).toBe('\\N');
    expect(copyValue(true)).toBe('t');
    expect(copyValue(new Date(Date.UTC(2026, 10, 20, 12)))).toBe('2026-11-20T12:00:00.000Z');
    expect(copyValue('Mozilla\t(evil)\nline\\two\r')).toBe('Mozilla\\t(evil)\\nline\\\\two\\r');
    expect(copyValue('\\N')).toBe('\\\\N'); // a literal "\N" is not a null
  });
});
