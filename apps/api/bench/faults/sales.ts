// The sale load: sales reported with `trackSale`, each with its own order id, sent again with the
// same order id when no answer came, as a merchant's server would.
import { randomBytes } from 'node:crypto';
import { visitorClick } from './clicks.ts';
import { running } from './processes.ts';
import { type Answer, pacer, request, saleAgent, stopping } from './requests.ts';
import type { Seeded } from './seed.ts';
import { saleRate } from './settings.ts';
import { sleep } from './time.ts';

export const saleAmount = 4_200;
const maxAttempts = 6;
const run = randomBytes(3).toString('hex');

const TRACK_SALE = `mutation($input: TrackSaleInput!) { trackSale(input: $input) { replayed conversionId } }`;

type Outcome =
  | { kind: 'ok'; conversionId: string; replayed: boolean }
  | { kind: 'error'; detail: string }
  | { kind: 'none' };
type Attempt = Outcome & { sentAt: number; at: number };

export interface Sale {
  orderId: string;
  attempts: Attempt[];
}

export const sales: Sale[] = [];
let saleSeq = 0;
const salePace = pacer(saleRate);

export const answeredOk = (s: Sale) => s.attempts.some((a) => a.kind === 'ok');

/** The first sale sent after `t` that got a success answer. */
export const firstSaleOkAfter = (t: number) =>
  Math.min(
    ...sales.flatMap((s) => s.attempts.filter((a) => a.kind === 'ok' && a.sentAt >= t).map((a) => a.at)),
  );

function outcome(answer: Answer | null): Outcome {
  if (!answer) return { kind: 'none' };
  try {
    const parsed = JSON.parse(answer.body);
    const result = parsed.data?.trackSale;
    if (answer.status === 200 && !parsed.errors && result?.conversionId)
      return { kind: 'ok', conversionId: result.conversionId, replayed: result.replayed };
    const codes = parsed.errors?.map((e: { extensions?: { code?: string } }) => e.extensions?.code).join(',');
    return { kind: 'error', detail: `HTTP ${answer.status} ${codes ?? ''}` };
  } catch {
    return { kind: 'error', detail: `HTTP ${answer.status} ${answer.body.slice(0, 80)}` };
  }
}

export async function sendSale(seeded: Seeded, orderId: string, clickId: string | null): Promise<Attempt> {
  const input = { programId: seeded.programId, orderId, amount: saleAmount, currency: 'USD', clickId };
  const body = JSON.stringify({ query: TRACK_SALE, variables: { input } });
  const sentAt = Date.now();
  const answer = await request(
    running.port,
    {
      path: '/graphql',
      method: 'POST',
      agent: saleAgent,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        authorization: `Bearer ${seeded.secret}`,
      },
    },
    body,
  );
  const at = Date.now();
  return { sentAt, at, ...outcome(answer) };
}

/** A sale sent until it gets an answer (success or error), up to `maxAttempts` times. */
export async function saleWorker(seeded: Seeded) {
  while (!stopping) {
    await salePace();
    const sale: Sale = { orderId: `order-${run}-${saleSeq++}`, attempts: [] };
    sales.push(sale);
    // Nine in ten carry the click id their visitor brought a few seconds earlier.
    const clickId = saleSeq % 10 === 0 ? null : visitorClick();
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if (attempt > 0) await sleep(250 * 2 ** (attempt - 1));
      const result = await sendSale(seeded, sale.orderId, clickId);
      sale.attempts.push(result);
      if (result.kind === 'error') await sleep(100); // the database is down: do not spin
      if (result.kind !== 'none') break;
    }
  }
}
