import { invalidInput } from '../errors.ts';

// A marketplace cursor: the sort value and the id of the last program seen, so pages stay
// stable while programs are added or change (keyset pagination, not offsets).
export const encodeCursor = (value: number, id: string) =>
  Buffer.from(JSON.stringify([value, id])).toString('base64url');

export function decodeCursor(cursor: string): { value: number; id: string } {
  try {
    const [value, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof value === 'number' && typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id))
      return { value, id };
  } catch {}
  throw invalidInput([{ path: 'after', message: 'is not a cursor from this list' }]);
}
