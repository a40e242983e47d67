import { describe, expect, test } from 'vitest';
import type { ClickBatch } from '../../src/clicks/batch.ts';
import { clickRollups } from '../../src/reports/clicks.ts';

const batch = (clicks: [string, string, string | null, string | null, string, boolean][]): ClickBatch =>
  ({
    size: clicks.length,
    programId: clicks.map((c) => c[0]),
    enrollmentId: clicks.map((c) => c[1]),
    linkId: clicks.map((c) => c[2]),
    sub1: clicks.map((c) => c[3]),
    createdAt: clicks.map((c) => Date.parse(c[4])),
    isUnique: clicks.map((c) => c[5]),
  }) as unknown as ClickBatch;

describe('click rollups', () => {
  test('a batch is counted per program, affiliate, link, sub-ID and quarter hour, in lock order', () => {
    const r = clickRollups(
      batch([
        ['p', 'e2', 'l2', null, '2026-11-20T10:14:59.999Z', true],
        ['p', 'e1', 'l1', 'spring', '2026-11-20T10:15:00.000Z', true],
        ['p', 'e1', 'l1', 'spring', '2026-11-20T10:29:00.000Z', false],
        ['p', 'e1', 'l1', 'spring', '2026-11-20T10:00:00.000Z', false],
        ['p', 'e1', 'l1', null, '2026-11-20T10:16:00.000Z', true],
      ]),
    );
    expect(r).toEqual({
      programId: ['p', 'p', 'p', 'p'],
      enrollmentId: ['e1', 'e1', 'e1', 'e2'],
      linkId: ['l1', 'l1', 'l1', 'l2'],
      subId: [null, 'spring', 'spring', null],
      at: ['10:15', '10:00', '10:15', '10:00'].map((t) => new Date(`2026-11-20T${t}:00.000Z`)),
      clicks: [1, 1, 2, 1],
      uniques: [1, 0, 1, 1],
    });
  });
});
