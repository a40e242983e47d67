import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import type { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from './config.ts';

type Limit = 'depth' | 'cost' | 'aliases' | 'directives' | 'tokens';

// GraphQL Armor's rejections are plain GraphQLErrors; each gets the code from our table and
// names the limit, so a client can tell "too big" from "wrong". The error is thrown on, as
// Armor does by default, and this only adds to its extensions.
const typed =
  (limit: Limit) =>
  (_context: unknown, error: GraphQLError): void => {
    Object.assign(error.extensions, { code: 'REQUEST_TOO_LARGE', limit });
  };

/**
 * Limits on an operation's shape (GraphQL Armor): depth, cost, aliases, directives and tokens,
 * checked before anything runs. Introspection (and with it "did you mean" suggestions, which
 * leak field names) can be turned off.
 */
export function limitPlugins(c: Config): Plugin[] {
  const plugins: Plugin[] = [
    maxTokensPlugin({ n: c.GRAPHQL_MAX_TOKENS, onReject: [typed('tokens')] }),
    maxDepthPlugin({ n: c.GRAPHQL_MAX_DEPTH, onReject: [typed('depth')] }),
    costLimitPlugin({ maxCost: c.GRAPHQL_MAX_COST, onReject: [typed('cost')] }),
    maxAliasesPlugin({ n: c.GRAPHQL_MAX_ALIASES, onReject: [typed('aliases')] }),
    maxDirectivesPlugin({ n: c.GRAPHQL_MAX_DIRECTIVES, onReject: [typed('directives')] }),
  ] as Plugin[];
  if (!c.GRAPHQL_INTROSPECTION)
    plugins.push(useDisableIntrospection(), blockFieldSuggestionsPlugin() as Plugin);
  return plugins;
}
