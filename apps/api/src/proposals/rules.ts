import type { ProposalStatus, Side } from '../generated/prisma/client.ts';

export type ProposalAction = 'accept' | 'reject' | 'counter' | 'withdraw';

/**
 * Who may answer a proposal: the other side accepts, rejects or counters it; its author may
 * withdraw it. Only open proposals can be answered.
 */
export function mayAnswer(
  action: ProposalAction,
  proposal: { side: Side; status: ProposalStatus },
  actingSide: Side,
): { ok: true } | { ok: false; code: 'FORBIDDEN' | 'CONFLICT'; message: string } {
  if (proposal.status !== 'OPEN') {
    return {
      ok: false,
      code: 'CONFLICT',
      message: `The proposal is already ${proposal.status.toLowerCase()}`,
    };
  }
  const byAuthor = proposal.side === actingSide;
  if (action === 'withdraw' && !byAuthor)
    return { ok: false, code: 'FORBIDDEN', message: 'Only its author may withdraw a proposal' };
  if (action !== 'withdraw' && byAuthor) {
    return { ok: false, code: 'FORBIDDEN', message: `The other side must ${action} this proposal` };
  }
  return { ok: true };
}
