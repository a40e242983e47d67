import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { z } from 'zod';
import { originOf, parseBody, publishableKeyOrg, refuseOtherMethods, reply } from '../beacon.ts';
import { readVisitor, type VisitorSettings } from '../clicks/visitor.ts';
import { prisma } from '../db.ts';
import { AppError } from '../errors.ts';
import { isAllowedUrl } from '../programs/urls.ts';
import { leadFields, saleFields } from './inputs.ts';
import { leadReport, saleReport } from './mutations.ts';
import { recordConversion } from './record.ts';

const key = z.string().regex(/^pk_[\w-]{32}$/, 'must be a publishable key (pk_…)');
// The browser cannot know program ids unless told; with one program the key is enough.
const programId = saleFields.programId.nullish();
// The time is the server's: a browser's clock is not to be trusted with a cookie window. So are
// the visitor's IP and user agent, read from the request.
const { occurredAt: _sale, ip: _saleIp, userAgent: _saleAgent, ...sale } = saleFields;
const { occurredAt: _lead, ip: _leadIp, userAgent: _leadAgent, ...lead } = leadFields;
const body = z.discriminatedUnion('type', [
  z.object({ ...sale, type: z.literal('sale'), key, programId }),
  z.object({ ...lead, type: z.literal('lead'), key, programId }),
]);

const status: Record<string, number> = { NOT_FOUND: 404, CONFLICT: 409, INVALID_INPUT: 400 };

/**
 * POST /track/conversion — the snippet reports a sale or a lead from the checkout page, with the
 * organization's publishable key, into the same code path as trackSale and trackLead. Answers
 * `{ conversionId, replayed, attributed }` and nothing about commissions.
 */
export function conversionBeacon(log: Logger, settings: VisitorSettings) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const origin = originOf(req);
    if (refuseOtherMethods(req, res)) return;
    const parsed = await parseBody(req, res, body, 32 * 1024);
    if (!parsed) return;
    try {
      const organizationId = await publishableKeyOrg(parsed.key);
      if (!organizationId) return reply(res, 401, { error: 'UNAUTHENTICATED' }, null);
      const programs = await prisma.program.findMany({
        where: {
          organizationId,
          status: { in: ['ACTIVE', 'PAUSED'] },
          ...(parsed.programId ? { id: parsed.programId } : {}),
        },
        select: { id: true, allowedDomains: true },
        take: 2,
      });
      if (programs.length !== 1) {
        const message = programs.length
          ? 'programId is required: this key has several programs'
          : 'no such program for this key';
        return reply(
          res,
          programs.length ? 400 : 404,
          { error: programs.length ? 'INVALID_INPUT' : 'NOT_FOUND', message },
          null,
        );
      }
      const program = programs[0]!;
      // A browser on another site must not report for this merchant.
      if (origin && !isAllowedUrl(origin, program.allowedDomains))
        return reply(
          res,
          403,
          { error: 'FORBIDDEN', message: "origin is not one of the program's domains" },
          null,
        );
      const visitor = readVisitor(req, settings);
      const value = { ...parsed, programId: program.id, ip: visitor.ip, userAgent: visitor.userAgent };
      const recorded = await recordConversion(
        value.type === 'sale' ? saleReport(value, 'SNIPPET') : leadReport(value, 'SNIPPET'),
      );
      return reply(res, recorded.replayed ? 200 : 201, recorded, origin);
    } catch (error) {
      if (error instanceof AppError)
        return reply(res, status[error.code] ?? 400, { error: error.code, message: error.message }, origin);
      log.error({ err: error }, 'conversion beacon failed');
      return reply(res, 503, { error: 'UNAVAILABLE' }, null);
    }
  };
}
