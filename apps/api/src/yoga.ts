import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { createYoga, useReadinessCheck } from 'graphql-yoga';
import { resolveViewer } from './auth/viewer.ts';
import type { Context } from './builder.ts';
import { config } from './config.ts';
import { prisma } from './db.ts';
import { AppError } from './errors.ts';
import { logger } from './logger.ts';
import { schema } from './schema/index.ts';

const requestIdOf = (request: Request) => {
  const given = request.headers.get('x-request-id');
  return given && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
};

// Expected errors (AppError) reach the client as they are; anything else is logged with the
// request id and replaced by a generic error carrying that id.
function maskError(error: unknown, message: string): Error {
  const original = error instanceof GraphQLError && error.originalError ? error.originalError : error;
  if (original instanceof AppError) return error as Error;
  if (error instanceof GraphQLError && !error.originalError) return error; // parse/validation errors
  const requestId = (error as { requestId?: string }).requestId;
  logger.error(
    { err: original, path: error instanceof GraphQLError ? error.path : undefined },
    'unexpected error',
  );
  return new GraphQLError(message, {
    extensions: { code: 'INTERNAL_SERVER_ERROR', ...(requestId ? { requestId } : {}) },
  });
}

export function createApp() {
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/healthz',
    landingPage: false,
    graphiql: config().GRAPHIQL ? { title: 'Affiliate network API' } : false,
    maskedErrors: { maskError, errorMessage: 'Unexpected error' },
    logging: {
      debug: (...args) => logger.debug(args.map(String).join(' ')),
      info: (...args) => logger.info(args.map(String).join(' ')),
      warn: (...args) => logger.warn(args.map(String).join(' ')),
      error: (...args) => logger.error(args.map(String).join(' ')),
    },
    context: async ({ request }): Promise<Context> => {
      const requestId = requestIdOf(request);
      try {
        return { viewer: await resolveViewer(request.headers), requestId };
      } catch (error) {
        if (error instanceof AppError) {
          throw new GraphQLError(error.message, {
            extensions: { code: error.code, requestId, http: { status: 401 } },
          });
        }
        throw error;
      }
    },
    plugins: [
      useReadinessCheck({
        endpoint: '/readyz',
        check: async () => {
          try {
            await prisma.$queryRaw`SELECT 1`;
            return true;
          } catch (error) {
            logger.warn({ err: error }, 'readiness check failed: database unreachable');
            return false;
          }
        },
      }),
    ],
  });
}

export type App = ReturnType<typeof createApp>;
