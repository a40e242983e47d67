/**
 * Keeps only enough of a payout account to recognise it: an email's first character and
 * domain, or the last four characters of anything else.
 */
export function maskReference(reference: string): string {
  const value = reference.trim();
  const at = value.indexOf('@');
  if (at > 0) return `${value[0]}•••${value.slice(at)}`;
  const compact = value.replace(/\s+/g, '');
  return compact.length <= 4 ? '••••' : `•••• ${compact.slice(-4)}`;
}
