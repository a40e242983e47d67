import type { EnrollmentStatus } from '../generated/prisma/client.ts';

export type EnrollmentAction =
  | 'apply'
  | 'invite'
  | 'accept'
  | 'approve'
  | 'reject'
  | 'suspend'
  | 'reinstate'
  | 'withdraw'
  | 'close';
export type Side = 'MERCHANT' | 'AFFILIATE';

interface Rule {
  side: Side;
  from: readonly (EnrollmentStatus | null)[];
  to: EnrollmentStatus;
  needsReason?: boolean;
}

// Who may move an enrollment from which states to which. `null` is "no enrollment yet".
const rules: Record<EnrollmentAction, Rule> = {
  apply: { side: 'AFFILIATE', from: [null, 'WITHDRAWN', 'REJECTED'], to: 'PENDING' },
  invite: { side: 'MERCHANT', from: [null, 'WITHDRAWN', 'REJECTED'], to: 'INVITED' },
  accept: { side: 'AFFILIATE', from: ['INVITED'], to: 'APPROVED' },
  approve: { side: 'MERCHANT', from: ['PENDING'], to: 'APPROVED' },
  reject: { side: 'MERCHANT', from: ['PENDING'], to: 'REJECTED', needsReason: true },
  suspend: { side: 'MERCHANT', from: ['APPROVED'], to: 'SUSPENDED', needsReason: true },
  reinstate: { side: 'MERCHANT', from: ['SUSPENDED'], to: 'APPROVED' },
  withdraw: { side: 'AFFILIATE', from: ['INVITED', 'PENDING', 'APPROVED'], to: 'WITHDRAWN' },
  // The affiliate's account was deleted (src/privacy/): every enrollment still open ends,
  // a suspended one too, so that no one can reinstate an affiliate that is gone.
  close: { side: 'AFFILIATE', from: ['INVITED', 'PENDING', 'APPROVED', 'SUSPENDED'], to: 'WITHDRAWN' },
};

export type TransitionResult =
  | { ok: true; to: EnrollmentStatus }
  | { ok: false; reason: 'wrong-side' | 'wrong-state' | 'reason-required'; message: string };

export function transition(
  action: EnrollmentAction,
  side: Side,
  from: EnrollmentStatus | null,
  reason?: string | null,
): TransitionResult {
  const rule = rules[action];
  if (rule.side !== side)
    return { ok: false, reason: 'wrong-side', message: `Only the ${rule.side.toLowerCase()} may ${action}` };
  if (!rule.from.includes(from)) {
    const state = from ? `an enrollment that is ${from.toLowerCase()}` : 'a program without an enrollment';
    return { ok: false, reason: 'wrong-state', message: `Cannot ${action} ${state}` };
  }
  if (rule.needsReason && !reason?.trim())
    return { ok: false, reason: 'reason-required', message: `A reason is required to ${action}` };
  return { ok: true, to: rule.to };
}
