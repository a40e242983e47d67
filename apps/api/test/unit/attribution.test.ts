import { describe, expect, test } from 'vitest';
import { attribute, type ClickCandidate } from '../../src/conversions/attribution.ts';

const at = new Date('2026-11-20T12:00:00Z');
const daysAgo = (days: number) => new Date(at.getTime() - days * 86_400_000);
const click = (id: string, enrollmentId: string, days: number, windowDays = 30): ClickCandidate => ({
  id,
  enrollmentId,
  createdAt: daysAgo(days),
  windowDays,
});
const base = {
  at,
  model: 'LAST_CLICK' as const,
  clicks: [] as ClickCandidate[],
  coupon: null,
  customerEnrollmentId: null,
  repeatCustomer: false,
};

describe('attribution', () => {
  test('last click by default, first click when the program says so', () => {
    const clicks = [click('old', 'a', 20), click('new', 'b', 2), click('mid', 'c', 10)];
    expect(attribute({ ...base, clicks })).toMatchObject({
      method: 'CLICK',
      clickId: 'new',
      enrollmentId: 'b',
    });
    expect(attribute({ ...base, clicks, model: 'FIRST_CLICK' })).toMatchObject({
      clickId: 'old',
      enrollmentId: 'a',
    });
  });

  test('a click outside its window, or in the future, does not count', () => {
    expect(attribute({ ...base, clicks: [click('x', 'a', 31)] }).method).toBe('NONE');
    expect(attribute({ ...base, clicks: [click('x', 'a', 30)] }).method).toBe('CLICK');
    expect(attribute({ ...base, clicks: [click('x', 'a', 8, 7)] }).method).toBe('NONE');
    expect(attribute({ ...base, clicks: [click('x', 'a', -1)] }).method).toBe('NONE');
    // a few minutes of clock difference are tolerated
    expect(attribute({ ...base, clicks: [click('x', 'a', -60 / 86_400)] }).method).toBe('CLICK');
  });

  test("an affiliate's coupon wins over a click; a coupon of nobody does not", () => {
    const clicks = [click('c', 'a', 1)];
    expect(attribute({ ...base, clicks, coupon: { id: 'k', enrollmentId: 'b' } })).toEqual({
      method: 'COUPON',
      enrollmentId: 'b',
      clickId: null,
      couponCodeId: 'k',
    });
    expect(attribute({ ...base, clicks, coupon: { id: 'k', enrollmentId: null } }).enrollmentId).toBe('a');
  });

  test("a repeat customer stays with its affiliate; a new one's click comes first", () => {
    const clicks = [click('c', 'a', 1)];
    const coupon = { id: 'k', enrollmentId: 'b' };
    expect(
      attribute({ ...base, clicks, coupon, customerEnrollmentId: 'z', repeatCustomer: true }),
    ).toMatchObject({ method: 'CUSTOMER', enrollmentId: 'z' });
    expect(attribute({ ...base, clicks, customerEnrollmentId: 'z' })).toMatchObject({ enrollmentId: 'a' });
    expect(attribute({ ...base, customerEnrollmentId: 'z' })).toMatchObject({
      method: 'CUSTOMER',
      enrollmentId: 'z',
    });
  });

  test('nothing to go by: unattributed', () => {
    expect(attribute(base)).toEqual({
      method: 'NONE',
      enrollmentId: null,
      clickId: null,
      couponCodeId: null,
    });
  });
});

describe('currency conversion', () => {
  test('to the minor unit, half up, exactly', async () => {
    const { convert } = await import('../../src/conversions/exchange.ts');
    expect(convert(10_000, '1.08')).toBe(10_800);
    expect(convert(1, '0.5')).toBe(1); // half up
    expect(convert(1, '0.49999999')).toBe(0);
    expect(convert(999, '1.23456789')).toBe(1233); // 1233.33…
    expect(convert(1_000_000_000, '0.00000001')).toBe(10);
    expect(convert(1_000_000_000, '150.12345678')).toBe(150_123_456_780);
  });
});
