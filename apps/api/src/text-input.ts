import { type DocumentNode, Kind, visit } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { invalidInput } from './errors.ts';

// PostgreSQL text cannot hold U+0000: a string carrying one would fail at the database, after
// validation, as an internal error. It is refused up front instead, wherever input arrives.
const nul = '\u0000';
export const nulMessage = 'must not contain the NUL character (U+0000)';

const join = (at: string, key: string | number) => (at ? `${at}.${key}` : String(key));

/** The path of the first string holding a NUL, in a parsed JSON value; null when there is none. */
export function nulPath(value: unknown, at = ''): string | null {
  if (typeof value === 'string') return value.includes(nul) ? at : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nulPath(value[i], join(at, i));
      if (found !== null) return found;
    }
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes(nul)) return join(at, key);
      const found = nulPath(item, join(at, key));
      if (found !== null) return found;
    }
  }
  return null;
}

function nulInDocument(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    [Kind.STRING]: (node) => {
      if (node.value.includes(nul)) found = true;
    },
  });
  return found;
}

/** Refuses an operation whose variables or string literals hold a NUL, before it runs. */
export const useNoNulText: Plugin = {
  onExecute: ({ args, setResultAndStopExecution }) => {
    const path = nulPath(args.variableValues ?? {}) ?? (nulInDocument(args.document) ? 'query' : null);
    if (path !== null) setResultAndStopExecution({ errors: [invalidInput([{ path, message: nulMessage }])] });
  },
};
