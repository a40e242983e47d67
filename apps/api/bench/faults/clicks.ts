// The click load: follows the link and keeps every click id answered.
import { running } from './processes.ts';
import { clickAgent, pacer, request, stopping } from './requests.ts';
import { clickRate } from './settings.ts';
import { sleep } from './time.ts';

const userAgent =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

export const clicks = {
  /** Every click id answered, with when the answer arrived. */
  answered: new Map<string, number>(),
  unanswered: 0,
  other: 0,
};
// Every hundredth click id answered, for the sales to carry.
const recentClicks: { id: string; at: number }[] = [];

const clickPace = pacer(clickRate);

export async function clickWorker() {
  while (!stopping) {
    await clickPace();
    const answer = await request(running.port, {
      path: '/r/faults',
      agent: clickAgent,
      headers: { 'user-agent': userAgent },
    });
    const id =
      answer?.status === 302 ? /[?&]ref_id=([0-9a-f-]{36})/.exec(answer.headers.location ?? '')?.[1] : null;
    if (id) {
      const at = Date.now();
      clicks.answered.set(id, at);
      if (clicks.answered.size % 100 === 0) recentClicks.push({ id, at });
    } else if (answer) clicks.other++;
    else {
      clicks.unanswered++;
      await sleep(20); // the API is down: do not spin
    }
  }
}

/** A click answered 2 to 3 seconds ago, long enough to be stored (while nothing fails). */
export function visitorClick() {
  const now = Date.now();
  while (recentClicks.length > 1 && recentClicks[1]!.at < now - 2_000) recentClicks.shift();
  return recentClicks[0]?.id ?? null;
}
