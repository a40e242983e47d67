// Which affiliate a conversion belongs to. Pure: the candidates are looked up by the caller.

export type AttributionMethod = 'NONE' | 'CLICK' | 'COUPON' | 'CUSTOMER';

export interface ClickCandidate {
  id: string;
  enrollmentId: string;
  createdAt: Date;
  /** The cookie window of the terms in force for the click's enrollment. */
  windowDays: number;
}

export interface Attribution {
  method: AttributionMethod;
  enrollmentId: string | null;
  clickId: string | null;
  couponCodeId: string | null;
}

const dayMs = 86_400_000;
// Clocks of the merchant's server and ours differ a little; a conversion reported as a few
// seconds before its click is still that click's.
const skewMs = 5 * 60_000;

/** The clicks that may still earn the conversion at `at`: inside their window, not in the future. */
export function clicksInWindow<C extends ClickCandidate>(clicks: readonly C[], at: Date): C[] {
  const t = at.getTime();
  return clicks.filter(
    (c) => c.createdAt.getTime() <= t + skewMs && t - c.createdAt.getTime() <= c.windowDays * dayMs,
  );
}

/**
 * Precedence, as merchants expect it:
 * - a repeat purchase of a customer already attributed stays with that customer's affiliate
 *   (recurring commissions follow the customer);
 * - otherwise an affiliate's coupon code wins over a click (the coupon was typed at checkout,
 *   the click may be weeks old);
 * - otherwise the first or the last click inside its cookie window, as the program says;
 * - otherwise a known customer's affiliate, else nobody (the conversion is still recorded).
 */
export function attribute(p: {
  at: Date;
  model: 'LAST_CLICK' | 'FIRST_CLICK';
  clicks: readonly ClickCandidate[];
  coupon: { id: string; enrollmentId: string | null } | null;
  customerEnrollmentId: string | null;
  repeatCustomer: boolean;
}): Attribution {
  const none = { clickId: null, couponCodeId: null };
  if (p.repeatCustomer && p.customerEnrollmentId)
    return { method: 'CUSTOMER', enrollmentId: p.customerEnrollmentId, ...none };
  if (p.coupon?.enrollmentId)
    return {
      method: 'COUPON',
      enrollmentId: p.coupon.enrollmentId,
      clickId: null,
      couponCodeId: p.coupon.id,
    };
  const valid = clicksInWindow(p.clicks, p.at).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  const click = p.model === 'FIRST_CLICK' ? valid[0] : valid.at(-1);
  if (click)
    return { method: 'CLICK', enrollmentId: click.enrollmentId, clickId: click.id, couponCodeId: null };
  if (p.customerEnrollmentId) return { method: 'CUSTOMER', enrollmentId: p.customerEnrollmentId, ...none };
  return { method: 'NONE', enrollmentId: null, ...none };
}
