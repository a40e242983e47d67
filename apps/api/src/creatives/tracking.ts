/**
 * The affiliate's landing link: the page with `via=<referral code>` added. The snippet turns
 * the code into a click; short redirect links (/r/<code>) come with the links feature.
 */
export function withReferral(url: string, referralCode: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('via', referralCode);
  return parsed.toString();
}
