import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { createYoga, type Plugin, useReadinessCheck } from 'graphql-yoga';
import { resolveViewer } from './auth/viewer.ts';
import type { Context } from './builder.ts';
import { type Config, config } from './config.ts';
import { corsPolicy } from './cors.ts';
import { prisma } from './db.ts';
import { limitPlugins } from './limits.ts';
import { logger } from './logger.ts';
import { type RateLimits, rateLimits } from './rate-limits.ts';
import { redis } from './redis.ts';
import { schema } from './schema/index.ts';
import { useNoNulText } from './text-input.ts';

// Behind a trusted proxy the first X-Forwarded-For hop, else the socket's peer; none in process.
const clientIp = (request: Request, req: IncomingMessage | undefined, settings: Config) =>
  (settings.TRUST_PROXY ? request.headers.get('x-forwarded-for')?.split(',')[0]?.trim() : undefined) ||
  (req?.socket.remoteAddress ?? null);

// One id per request: the caller's X-Request-Id when it is sane, else a new one. It is echoed
// in the response header, logged with the operation, and put on masked errors.
const requestIds = new WeakMap<Request, string>();
const requestIdOf = (request: Request) => {
  let id = requestIds.get(request);
  if (!id) {
    const given = request.headers.get('x-request-id');
    id = given && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
    requestIds.set(request, id);
  }
  return id;
};

const useRequestId: Plugin = {
  onResponse: ({ request, response }) => {
    response.headers.set('x-request-id', requestIdOf(request));
    // The CORS headers depend on the caller's origin: caches must keep answers apart by it.
    if (!response.headers.has('vary')) response.headers.set('vary', 'Origin');
  },
};

// GraphQL errors (ours carry a code from the table; parse and validation errors come from
// graphql itself) reach the client as they are. Anything else is logged and replaced by a
// generic error with the request id. Checks are structural: graphql ships both CJS and ESM
// builds, so `instanceof GraphQLError` can be false for a real GraphQLError.
const isGraphQLError = (error: unknown): error is GraphQLError =>
  error instanceof Error && error.name === 'GraphQLError';

// graphql's own request errors (syntax, unknown fields, variables of the wrong type) carry no
// code: they are the caller's bad input, so they get INVALID_INPUT like ours, with the field
// named in `issues` when graphql says which one.
const coercion = /^Variable "\$(\w+)" got invalid value .*? at "([^"]+)"; (.*)$/s;
// Yoga refuses too many batched operations with its own code and HTTP 413: that is one of our
// limits, so it gets our code (other Yoga codes pass as they are).
const tooLarge = (error: GraphQLError) =>
  (error.extensions?.http as { status?: number } | undefined)?.status === 413;

function withCode(error: GraphQLError): GraphQLError {
  if (tooLarge(error) && error.extensions?.code !== 'REQUEST_TOO_LARGE')
    return new GraphQLError(error.message, {
      extensions: { ...error.extensions, code: 'REQUEST_TOO_LARGE', limit: 'batch' },
    });
  if (error.extensions?.code) return error;
  const match = coercion.exec(error.message);
  const issues = match ? [{ path: match[2]!, message: match[3]! }] : undefined;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    path: error.path,
    extensions: { ...error.extensions, code: 'INVALID_INPUT', ...(issues ? { issues } : {}) },
  });
}

function maskError(error: unknown, message: string, requestId?: string): Error {
  if (isGraphQLError(error) && (!error.originalError || isGraphQLError(error.originalError)))
    return withCode(error);
  const original = isGraphQLError(error) ? error.originalError : error;
  logger.error(
    { err: original, requestId, path: isGraphQLError(error) ? error.path : undefined },
    'unexpected error',
  );
  return new GraphQLError(message, {
    ...(isGraphQLError(error) ? { nodes: error.nodes, path: error.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR', ...(requestId ? { requestId } : {}) },
  });
}

// Masks inside execution, where the request id is known, so the log line and the client's
// error share it (Yoga's own masking stays behind it for errors outside execution). Also logs
// one line per operation: what ran, for whom, how long, with which error codes.
const maskAndLog: Plugin<Context> = {
  onExecute: ({ args }) => {
    const started = performance.now();
    return {
      onExecuteDone: ({ result, setResult }) => {
        const { requestId, viewer } = args.contextValue as Context;
        const errors = 'errors' in result && result.errors?.length ? result.errors : undefined;
        const masked = errors?.map((error) => maskError(error, 'Unexpected error', requestId));
        if (masked && 'errors' in result) setResult({ ...result, errors: masked });
        logger.info(
          {
            requestId,
            operation: args.operationName ?? null,
            viewer:
              viewer.kind === 'apiKey'
                ? `apiKey:${viewer.apiKeyId}`
                : viewer.kind === 'user'
                  ? `user:${viewer.userId}`
                  : 'anonymous',
            ms: Math.round(performance.now() - started),
            errors: masked?.map((error) => (error as GraphQLError).extensions?.code),
          },
          'graphql',
        );
      },
    };
  },
};

export function createApp(
  options: { schema?: GraphQLSchema; settings?: Config; rateLimits?: RateLimits } = {},
) {
  const settings = options.settings ?? config();
  const limits = options.rateLimits ?? rateLimits(settings, redis());
  return createYoga<Record<string, unknown>, Context>({
    schema: options.schema ?? schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/healthz',
    landingPage: false,
    graphiql: settings.GRAPHIQL ? { title: 'Affiliate network API' } : false,
    cors: corsPolicy(settings),
    // Several operations in one request (a JSON array), up to the limit; more is one error.
    batching: { limit: settings.GRAPHQL_MAX_BATCH },
    maskedErrors: {
      maskError: (error, message) => maskError(error, message),
      errorMessage: 'Unexpected error',
    },
    logging: {
      debug: (...args) => logger.debug(args.map(String).join(' ')),
      info: (...args) => logger.info(args.map(String).join(' ')),
      warn: (...args) => logger.warn(args.map(String).join(' ')),
      error: (...args) => logger.error(args.map(String).join(' ')),
    },
    context: async ({ request, req }: { request: Request; req?: IncomingMessage }): Promise<Context> => {
      const requestId = requestIdOf(request);
      const ip = clientIp(request, req, settings);
      let viewer: Context['viewer'];
      try {
        viewer = await resolveViewer(request.headers);
      } catch (error) {
        if (!isGraphQLError(error)) throw error;
        throw new GraphQLError(error.message, {
          extensions: { ...error.extensions, requestId, http: { status: 401 } },
        });
      }
      // A user or a secret key is counted by itself (a merchant's server calls from one IP);
      // anonymous callers and publishable keys (browsers) by IP. In process (tests, scripts)
      // there is no socket and so no IP to count by.
      if (viewer.kind === 'user') await limits.take('apiByCredential', `user:${viewer.userId}`);
      else if (viewer.kind === 'apiKey' && viewer.keyKind === 'SECRET')
        await limits.take('apiByCredential', `key:${viewer.apiKeyId}`);
      else if (ip) await limits.take('apiByIp', ip);
      return { viewer, requestId, clientIp: ip, rateLimits: limits };
    },
    plugins: [
      ...limitPlugins(settings),
      useRequestId,
      maskAndLog,
      useNoNulText,
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
