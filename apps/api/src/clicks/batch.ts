import type { ClickSource } from '../generated/prisma/client.ts';

/** A click as it is stored: the IP replaced by a salted hash, uniqueness decided. */
export interface ClickRow {
  id: string;
  programId: string;
  enrollmentId: string;
  linkId: string | null;
  source: ClickSource;
  createdAt: Date;
  isUnique: boolean;
  ipHash: string | null;
  userAgent: string | null;
  referrer: string | null;
  country: string | null;
  landingUrl: string | null;
  sub1: string | null;
  sub2: string | null;
  sub3: string | null;
  sub4: string | null;
  sub5: string | null;
}

type Column<K extends keyof ClickRow> = ClickRow[K] extends Date ? number[] : ClickRow[K][];

/**
 * Rows ready to store, kept column by column: a batch crosses to the writer thread as a few
 * arrays of strings, which costs a tenth of copying as many objects (their keys are copied too).
 * `createdAt` holds epoch milliseconds.
 */
export type ClickBatch = { size: number } & { [K in keyof ClickRow]: Column<K> };

export const clickColumns = [
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

/** Columns to fill with push(): arrays made by `new Array(n)` would stay holey, and a holey array
 * is copied to another thread element by element, as key and value. */
export function emptyBatch(size: number): ClickBatch {
  const batch = { size } as ClickBatch;
  for (const name of clickColumns) (batch[name] as unknown[]) = [];
  return batch;
}

/** The batch as row objects (for tests and the embedded database's INSERT). */
export function rowsOf(batch: ClickBatch): ClickRow[] {
  const rows: ClickRow[] = new Array(batch.size);
  for (let i = 0; i < batch.size; i++) {
    const row = {} as Record<string, unknown>;
    for (const name of clickColumns) row[name] = batch[name][i];
    row.createdAt = new Date(batch.createdAt[i]!);
    rows[i] = row as unknown as ClickRow;
  }
  return rows;
}
