// Currency conversion with the merchant's own rates, in integers: a rate is a decimal string
// with up to 8 places (as stored), so amount × rate is exact in BigInt before rounding.

const scale = 100_000_000n;

/** `amount` minor units × `rate`, rounded half up to a minor unit. */
export function convert(amount: number, rate: string): number {
  const match = /^(\d+)(?:\.(\d{1,8}))?$/.exec(rate.trim());
  if (!match) throw new Error(`not a decimal rate: ${rate}`);
  const scaled = BigInt(match[1]!) * scale + BigInt((match[2] ?? '').padEnd(8, '0'));
  return Number((BigInt(amount) * scaled + scale / 2n) / scale);
}
