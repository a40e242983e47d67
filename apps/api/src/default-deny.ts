import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';
import { forbidden } from './errors.ts';

const rootKinds = new Set(['Query', 'Mutation', 'Subscription']);

/**
 * Makes access rules opt-in: a root field, or a field of a database-backed type, that declares
 * no `authScopes` (on itself or on its type) refuses every caller. Plain payload, connection and
 * edge types carry only what a guarded field returned, so they need no rule of their own.
 */
export class DefaultDenyPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    return isUnguarded(this.buildCache, fieldConfig)
      ? () => {
          throw forbidden(`${fieldConfig.parentType}.${fieldConfig.name} has no access rule`);
        }
      : resolver;
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the build cache is typed per schema
function isUnguarded(buildCache: any, field: PothosOutputFieldConfig<any>): boolean {
  if ((field.pothosOptions as { authScopes?: unknown }).authScopes) return false;
  const type = buildCache.getTypeConfig(field.parentType);
  if (rootKinds.has(type.kind)) return true;
  if (!type.extensions?.pothosPrismaModel) return false;
  return !(type.pothosOptions as { authScopes?: unknown }).authScopes;
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      defaultDeny: DefaultDenyPlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin('defaultDeny', DefaultDenyPlugin);
