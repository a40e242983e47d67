import { describe, expect, test } from 'vitest';
import { maskReference } from '../../src/affiliates/mask.ts';
import { withReferral } from '../../src/creatives/tracking.ts';
import { transition } from '../../src/enrollments/transitions.ts';
import { currency } from '../../src/programs/money.ts';
import { canChangeStatus } from '../../src/programs/status.ts';
import { domain, httpUrl, isAllowedUrl } from '../../src/programs/urls.ts';
import { mayAnswer } from '../../src/proposals/rules.ts';

describe('enrollment transitions', () => {
  test.each([
    ['apply', 'AFFILIATE', null, 'PENDING'],
    ['apply', 'AFFILIATE', 'REJECTED', 'PENDING'],
    ['invite', 'MERCHANT', null, 'INVITED'],
    ['accept', 'AFFILIATE', 'INVITED', 'APPROVED'],
    ['approve', 'MERCHANT', 'PENDING', 'APPROVED'],
    ['suspend', 'MERCHANT', 'APPROVED', 'SUSPENDED'],
    ['reinstate', 'MERCHANT', 'SUSPENDED', 'APPROVED'],
    ['withdraw', 'AFFILIATE', 'APPROVED', 'WITHDRAWN'],
    ['close', 'AFFILIATE', 'SUSPENDED', 'WITHDRAWN'],
    ['close', 'AFFILIATE', 'INVITED', 'WITHDRAWN'],
  ] as const)('%s by the %s from %s → %s', (action, side, from, to) => {
    expect(transition(action, side, from, 'because')).toEqual({ ok: true, to });
  });

  test.each([
    ['approve', 'AFFILIATE', 'PENDING', 'wrong-side'],
    ['accept', 'MERCHANT', 'INVITED', 'wrong-side'],
    ['approve', 'MERCHANT', 'APPROVED', 'wrong-state'],
    ['apply', 'AFFILIATE', 'SUSPENDED', 'wrong-state'],
    ['reinstate', 'MERCHANT', 'REJECTED', 'wrong-state'],
    ['reject', 'MERCHANT', 'PENDING', 'reason-required'],
    ['close', 'MERCHANT', 'APPROVED', 'wrong-side'],
    ['close', 'AFFILIATE', 'REJECTED', 'wrong-state'],
  ] as const)('%s by the %s from %s is refused: %s', (action, side, from, reason) => {
    expect(transition(action, side, from)).toMatchObject({ ok: false, reason });
  });
});

describe('answering proposals', () => {
  const open = { side: 'AFFILIATE', status: 'OPEN' } as const;
  test('the other side answers; the author withdraws; closed proposals cannot be answered', () => {
    expect(mayAnswer('accept', open, 'MERCHANT')).toEqual({ ok: true });
    expect(mayAnswer('accept', open, 'AFFILIATE')).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(mayAnswer('withdraw', open, 'AFFILIATE')).toEqual({ ok: true });
    expect(mayAnswer('withdraw', open, 'MERCHANT')).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(mayAnswer('counter', { ...open, status: 'ACCEPTED' }, 'MERCHANT')).toMatchObject({
      ok: false,
      code: 'CONFLICT',
    });
  });
});

describe('program status', () => {
  test('DRAFT → ACTIVE ⇄ PAUSED → ARCHIVED, which is final', () => {
    expect(canChangeStatus('DRAFT', 'ACTIVE')).toBe(true);
    expect(canChangeStatus('ACTIVE', 'PAUSED')).toBe(true);
    expect(canChangeStatus('PAUSED', 'ACTIVE')).toBe(true);
    expect(canChangeStatus('DRAFT', 'PAUSED')).toBe(false);
    expect(canChangeStatus('ARCHIVED', 'ACTIVE')).toBe(false);
  });
});

describe('URLs and domains', () => {
  const allowed = ['shop.example', 'example.org'];
  test.each([
    ['https://shop.example/tents?id=1', true],
    ['http://www.shop.example/', true],
    ['https://eu.shop.example/', true],
    ['https://example.org.evil.com/', false],
    ['https://evilshop.example/', false],
    ['javascript:alert(1)//shop.example', false],
    ['https://shop.example@evil.com/', false],
    ['ftp://shop.example/', false],
    ['not a url', false],
  ])('%s allowed: %s', (url, expected) => {
    expect(isAllowedUrl(url, allowed)).toBe(expected);
  });

  test('URLs must be http(s) without credentials; domains are bare host names', () => {
    expect(httpUrl.safeParse('https://user:pw@shop.example').success).toBe(false);
    expect(httpUrl.safeParse('data:text/html,hi').success).toBe(false);
    expect(domain.parse(' WWW.Shop.Example ')).toBe('shop.example');
    expect(domain.safeParse('https://shop.example').success).toBe(false);
  });

  test('tracking links add the referral code', () => {
    expect(withReferral('https://shop.example/tents?color=red', 'sam')).toBe(
      'https://shop.example/tents?color=red&via=sam',
    );
  });
});

describe('money and masking', () => {
  test('currencies are ISO 4217 codes', () => {
    expect(currency.parse('eur')).toBe('EUR');
    expect(currency.safeParse('XYZ').success).toBe(false);
    expect(currency.safeParse('EURO').success).toBe(false);
  });

  test('payout accounts keep only their last characters', () => {
    expect(maskReference('DE89 3704 0044 0532 0130 00')).toBe('•••• 3000');
    expect(maskReference('sam@gearreviews.example')).toBe('s•••@gearreviews.example');
    expect(maskReference('1234')).toBe('••••');
  });
});
