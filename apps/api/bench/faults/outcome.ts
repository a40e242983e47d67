// What the database holds at the end, against what the load was answered.
import { sql } from '../common.ts';
import { clicks } from './clicks.ts';
import { type Fault, faults, faultsOf } from './inject.ts';
import { lags } from './lag.ts';
import { answeredOk, type Sale, saleAmount, sales, sendSale } from './sales.ts';
import type { Seeded } from './seed.ts';
import { lossBoundMs } from './settings.ts';
import { idTime } from './time.ts';

/** The program's conversions by order id, with their commissions and EARNED ledger entries. */
async function storedConversions(url: string, programId: string) {
  return sql<{
    externalId: string;
    id: string;
    amount: number;
    n: number;
    attributed: boolean;
    commissions: number;
    ledger: number;
  }>(
    url,
    `SELECT c."externalId", min(c.id::text) AS id, min(c.amount)::int AS amount, count(*)::int AS n,
            bool_or(c."enrollmentId" IS NOT NULL) AS attributed,
            sum(m.commissions)::int AS commissions, sum(m.ledger)::int AS ledger
     FROM "Conversion" c
     CROSS JOIN LATERAL (
       SELECT count(DISTINCT k.id) AS commissions, count(l.id) AS ledger
       FROM "Commission" k LEFT JOIN "LedgerEntry" l ON l."commissionId" = k.id AND l.type = 'EARNED'
       WHERE k."conversionId" = c.id
     ) m
     WHERE c."programId" = $1 GROUP BY c."externalId"`,
    [programId],
  );
}

/**
 * Idempotency: order ids already stored, each sent twice at once, answer their first id and
 * write nothing. Among them those stored although their answer was an error (the connection
 * broke after the commit): a merchant would send those again.
 */
export async function resendStored(url: string, seeded: Seeded) {
  const before = await storedConversions(url, seeded.programId);
  const firstIds = new Map(before.map((r) => [r.externalId, r.id]));
  const sample = [
    ...sales.filter(answeredOk).slice(0, 300),
    ...sales.filter((s) => firstIds.has(s.orderId) && !answeredOk(s)),
  ];
  const replays = await Promise.all(
    sample.flatMap((s) => [sendSale(seeded, s.orderId, null), sendSale(seeded, s.orderId, null)]),
  );
  const ok = replays.filter(
    (a, i) =>
      a.kind === 'ok' && a.replayed && a.conversionId === firstIds.get(sample[Math.floor(i / 2)]!.orderId),
  ).length;
  const written = (await storedConversions(url, seeded.programId)).length - before.length;
  return { sent: replays.length, ok, written };
}
export type Resent = Awaited<ReturnType<typeof resendStored>>;

export async function clickOutcome(url: string, startedAt: number) {
  const stored = (await sql<{ id: string }>(url, 'SELECT id::text AS id FROM "Click"')).map((r) => r.id);
  const storedSet = new Set(stored);
  const unanswered = stored.filter((id) => !clicks.answered.has(id));
  const killFaults = faultsOf('kill');
  const lost = [...clicks.answered.keys()].filter((id) => !storedSet.has(id));
  const windows: number[] = []; // per lost click: ms from its recording to the SIGKILL that lost it
  let lostOutside = 0;
  let lostWithoutKill = 0;
  /** When the clicks lost outside the bound were recorded and answered, for the report. */
  const strays: { recordedAt: number; answeredAt: number }[] = [];
  const lostPerKill = new Map<Fault, number>();
  for (const id of lost) {
    const recordedAt = idTime(id);
    const killer = killFaults.find((k) => k.at >= recordedAt);
    if (!killer) {
      lostWithoutKill++;
      strays.push({ recordedAt, answeredAt: clicks.answered.get(id)! });
      continue;
    }
    lostPerKill.set(killer, (lostPerKill.get(killer) ?? 0) + 1);
    windows.push(killer.at - recordedAt);
    if (killer.at - recordedAt > lossBoundMs) {
      lostOutside++;
      strays.push({ recordedAt, answeredAt: clicks.answered.get(id)! });
    }
  }
  // The lag in steady state: outside the faults and the time the system takes to catch up after.
  const disturbed = (t: number) =>
    faults.some((f, i) => t >= f.at - 200 && t <= (f.caughtUp ?? faults[i + 1]?.at ?? t));
  const steady = lags.filter((l) => l.at > startedAt && !disturbed(l.at)).map((l) => l.ms);
  return {
    stored: stored.length,
    storedTwice: stored.length - storedSet.size,
    unanswered: unanswered.length,
    lost: lost.length,
    killFaults,
    lostPerKill,
    windows,
    lostOutside,
    strays,
    lostWithoutKill,
    steady,
  };
}
export type ClickOutcome = Awaited<ReturnType<typeof clickOutcome>>;

export async function saleOutcome(url: string, programId: string) {
  const rows = await storedConversions(url, programId);
  const byOrder = new Map(rows.map((r) => [r.externalId, r]));
  const final = (s: Sale) =>
    answeredOk(s) ? 'ok' : s.attempts.some((a) => a.kind === 'error') ? 'error' : 'none';
  const ok = sales.filter((s) => final(s) === 'ok');
  const errors = sales.filter((s) => final(s) === 'error');
  const none = sales.filter((s) => final(s) === 'none');
  let missing = 0;
  let wrong = 0;
  for (const s of ok) {
    const row = byOrder.get(s.orderId);
    const ids = new Set(s.attempts.flatMap((a) => (a.kind === 'ok' ? [a.conversionId] : [])));
    // A first attempt answered "replayed" would mean another sale had taken the order id.
    const first = s.attempts[0]!;
    if (!row) missing++;
    else if (row.n !== 1 || row.amount !== saleAmount || ids.size !== 1 || !ids.has(row.id)) wrong++;
    else if (first.kind === 'ok' && first.replayed) wrong++;
  }
  const sent = new Set(sales.map((s) => s.orderId));
  const errorKinds = new Map<string, number>();
  for (const s of sales)
    for (const a of s.attempts)
      if (a.kind === 'error') errorKinds.set(a.detail, (errorKinds.get(a.detail) ?? 0) + 1);
  return {
    orderIds: sales.length,
    attempts: sales.reduce((n, s) => n + s.attempts.length, 0),
    ok: ok.length,
    errors: errors.length,
    none: none.length,
    retried: sales.filter((s) => s.attempts.length > 1).length,
    replayedRetries: ok.filter((s) => s.attempts.some((a) => a.kind === 'ok' && a.replayed)).length,
    errorKinds,
    stored: rows.length,
    attributed: rows.filter((r) => r.attributed).length,
    storedAfterError: errors.filter((s) => byOrder.has(s.orderId)).length,
    storedWithoutAnswer: none.filter((s) => byOrder.has(s.orderId)).length,
    missing,
    wrong,
    twice: rows.filter((r) => r.n > 1).length,
    unknown: rows.filter((r) => !sent.has(r.externalId)).length,
    badMoney: rows.filter((r) => r.commissions !== (r.attributed ? 1 : 0) || r.ledger !== r.commissions)
      .length,
  };
}
export type SaleOutcome = Awaited<ReturnType<typeof saleOutcome>>;
