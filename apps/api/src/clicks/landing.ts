import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { z } from 'zod';
import { originOf, parseBody, publishableKeyOrg, refuseOtherMethods, reply } from '../beacon.ts';
import type { Db } from '../db.ts';
import { uuidv7 } from '../ids.ts';
import { termsById } from '../programs/terms-cache.ts';
import { termsIdInForce } from '../programs/terms-in-force.ts';
import { httpUrl, isAllowedUrl } from '../programs/urls.ts';
import type { ClickRecorder } from './recorder.ts';
import type { TrackingSettings } from './redirect.ts';
import { readVisitor } from './visitor.ts';

const body = z.object({
  key: z.string().regex(/^pk_[\w-]{32}$/, 'must be a publishable key (pk_…)'),
  via: z.string().trim().min(1).max(64),
  url: httpUrl,
  referrer: z.string().max(2048).nullish(),
  programId: z.uuid().nullish(),
});

/**
 * POST /track/click — the snippet reports a landing through an affiliate code (`?via=code`)
 * instead of a redirect. The body is JSON sent as text/plain (no CORS preflight) with the
 * organization's publishable key. Answers `{ clickId }`; counts nothing for bots, unknown codes,
 * inactive programs, or a page (or Origin) outside the program's domains.
 */
export function landingHandler(
  db: () => Db,
  recorder: ClickRecorder,
  settings: TrackingSettings,
  log: Logger,
) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const origin = originOf(req);
    if (refuseOtherMethods(req, res)) return;
    const parsed = await parseBody(req, res, body, 8 * 1024);
    if (!parsed) return;
    try {
      const organizationId = await publishableKeyOrg(parsed.key);
      if (!organizationId) return reply(res, 401, { error: 'UNAUTHENTICATED' }, null);
      const enrollments = await db().enrollment.findMany({
        where: {
          referralCode: parsed.via,
          status: 'APPROVED',
          program: {
            organizationId,
            status: 'ACTIVE',
            ...(parsed.programId ? { id: parsed.programId } : {}),
          },
        },
        select: { id: true, programId: true, program: { select: { allowedDomains: true } } },
      });
      // The page must be one of the program's, and so must the calling origin when a browser sends it.
      const match = enrollments.find(
        (e) =>
          isAllowedUrl(parsed.url, e.program.allowedDomains) &&
          (!origin || isAllowedUrl(origin, e.program.allowedDomains)),
      );
      const allowOrigin = match && origin ? origin : null;
      if (!match) return reply(res, 404, { error: 'NOT_FOUND', clickId: null }, allowOrigin);
      const visitor = readVisitor(req, settings);
      if (visitor.automated) return reply(res, 200, { clickId: null, counted: false }, allowOrigin);
      const now = Date.now();
      const id = uuidv7(now);
      recorder.record({
        id,
        programId: match.programId,
        enrollmentId: match.id,
        linkId: null,
        source: 'LANDING',
        createdAt: now,
        ip: visitor.ip,
        userAgent: visitor.userAgent,
        referrer: parsed.referrer?.slice(0, 2048) ?? null,
        country: visitor.country,
        landingUrl: parsed.url,
        subs: [],
      });
      // The snippet keeps the click id as long as the program's cookie window lasts.
      const termsId = await termsIdInForce(db(), match, new Date(now));
      const cookieWindowDays = termsId ? (await termsById(termsId, db())).terms.cookieWindowDays : null;
      return reply(res, 200, { clickId: id, counted: true, cookieWindowDays }, allowOrigin);
    } catch (error) {
      log.error({ err: error }, 'landing click failed');
      return reply(res, 503, { error: 'UNAVAILABLE' }, null);
    }
  };
}
