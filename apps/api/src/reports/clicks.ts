import type { ClickBatch } from '../clicks/batch.ts';

const quarterMs = 900_000;

/** A batch's clicks counted per program, affiliate, link, sub-ID and quarter hour. */
export interface ClickRollups {
  programId: string[];
  enrollmentId: string[];
  linkId: (string | null)[];
  subId: (string | null)[];
  /** The start of the quarter hour. */
  at: Date[];
  clicks: number[];
  uniques: number[];
}

/**
 * Counts a batch for rollup_add, sorted by program, affiliate, link and sub-ID: the order in
 * which every writer takes the rows, so concurrent writers queue and never deadlock.
 */
export function clickRollups(b: ClickBatch): ClickRollups {
  const groups = new Map<string, { key: string[]; at: number; clicks: number; uniques: number }>();
  for (let i = 0; i < b.size; i++) {
    const at = Math.floor(b.createdAt[i]! / quarterMs) * quarterMs;
    const key = [b.programId[i]!, b.enrollmentId[i]!, b.linkId[i] ?? '', b.sub1[i] ?? ''];
    const id = `${key.join('\u0000')}\u0000${at}`;
    const group = groups.get(id);
    if (group) {
      group.clicks++;
      if (b.isUnique[i]) group.uniques++;
    } else groups.set(id, { key, at, clicks: 1, uniques: b.isUnique[i] ? 1 : 0 });
  }
  const sorted = [...groups.values()].sort((x, y) => {
    for (let k = 0; k < 4; k++) if (x.key[k] !== y.key[k]) return x.key[k]! < y.key[k]! ? -1 : 1;
    return x.at - y.at;
  });
  return {
    programId: sorted.map((g) => g.key[0]!),
    enrollmentId: sorted.map((g) => g.key[1]!),
    linkId: sorted.map((g) => g.key[2] || null),
    subId: sorted.map((g) => g.key[3] || null),
    at: sorted.map((g) => new Date(g.at)),
    clicks: sorted.map((g) => g.clicks),
    uniques: sorted.map((g) => g.uniques),
  };
}

/** Adds the counts to the day rows, in the arrays' order (program row 0, as for every change). */
export const clickRollupSql = `
  SELECT count(rollup_add(g.p, g.e, g.l, g.s, g.at, 0, g.n, g.u, 0, 0, 0, 0))
  FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::timestamptz[], $6::int[], $7::int[])
    AS g(p, e, l, s, at, n, u)`;

export const clickRollupValues = (r: ClickRollups) => [
  r.programId,
  r.enrollmentId,
  r.linkId,
  r.subId,
  r.at,
  r.clicks,
  r.uniques,
];
