import { describe, expect, test } from 'vitest';
import { defaultSettings, evaluate, outcome, paramsSchema, type Signals } from '../../src/fraud/rules.ts';

const clean: Signals = {
  selfReferral: [],
  click: {
    id: 'k',
    secondsBeforeConversion: 600,
    userAgent: 'Mozilla/5.0',
    fromIpOnLink: 1,
    fromIpOnAffiliate: 2,
    bot: false,
  },
  velocity: { byClick: 1, byIp: 1, byCustomer: 1 },
  otherEnrollmentId: null,
  emailDomain: 'gmail.com',
  disposableDomain: false,
  amount: 5_000,
  average: { amount: 4_000, samples: 100 },
  conversionUserAgent: 'Mozilla/5.0',
  conversionBot: false,
};

describe('fraud rules', () => {
  test('clean signals fire nothing', () => {
    expect(evaluate(clean, defaultSettings())).toEqual([]);
  });

  test('each rule fires at its threshold, not below', () => {
    const s = defaultSettings();
    const rules = (signals: Partial<Signals>) => evaluate({ ...clean, ...signals }, s).map((f) => f.rule);
    expect(rules({ click: { ...clean.click!, fromIpOnLink: 20 } })).toEqual([]);
    expect(rules({ click: { ...clean.click!, fromIpOnAffiliate: 21 } })).toEqual(['CLICK_FLOODING']);
    expect(rules({ velocity: { byClick: 5, byIp: 5, byCustomer: 5 } })).toEqual([]);
    expect(rules({ velocity: { byClick: 1, byIp: 6, byCustomer: null } })).toEqual(['CONVERSION_VELOCITY']);
    expect(rules({ click: { ...clean.click!, secondsBeforeConversion: 10 } })).toEqual([]);
    expect(rules({ click: { ...clean.click!, secondsBeforeConversion: 9 } })).toEqual(['TOO_FAST']);
    expect(rules({ amount: 39_999 })).toEqual([]);
    expect(rules({ amount: 40_000 })).toEqual(['AMOUNT_OUTLIER']);
    expect(rules({ amount: 40_000, average: { amount: 4_000, samples: 19 } })).toEqual([]);
    expect(rules({ selfReferral: ['EMAIL'] })).toEqual(['SELF_REFERRAL']);
    expect(rules({ otherEnrollmentId: 'e' })).toEqual(['DUPLICATE_CUSTOMER']);
    expect(rules({ disposableDomain: true })).toEqual(['DISPOSABLE_EMAIL']);
    expect(rules({ conversionBot: true })).toEqual(['BOT_USER_AGENT']);
  });

  test('extra disposable domains cover their subdomains only', () => {
    const s = defaultSettings();
    s.DISPOSABLE_EMAIL.params = paramsSchema.DISPOSABLE_EMAIL.parse({ extraDomains: ['Burner.test'] });
    const domain = (emailDomain: string) => evaluate({ ...clean, emailDomain }, s).map((f) => f.rule);
    expect(domain('burner.test')).toEqual(['DISPOSABLE_EMAIL']);
    expect(domain('a.burner.test')).toEqual(['DISPOSABLE_EMAIL']);
    expect(domain('notburner.test')).toEqual([]);
  });

  test('a rule that is off never fires; the strongest action decides', () => {
    const s = defaultSettings();
    s.TOO_FAST.enabled = false;
    s.SELF_REFERRAL.action = 'HOLD';
    s.BOT_USER_AGENT.action = 'REJECT';
    const fast = { click: { ...clean.click!, secondsBeforeConversion: 1 } };
    expect(evaluate({ ...clean, ...fast }, s)).toEqual([]);
    const held = evaluate({ ...clean, selfReferral: ['CLICK_IP'] }, s);
    expect(outcome(held)).toBe('HELD');
    const both = evaluate({ ...clean, selfReferral: ['CLICK_IP'], conversionBot: true }, s);
    expect(both.map((f) => f.action)).toEqual(['HOLD', 'REJECT']);
    expect(outcome(both)).toBe('REJECTED');
    expect(outcome([])).toBe('ACCEPTED');
  });
});
