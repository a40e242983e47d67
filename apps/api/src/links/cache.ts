import type { Db } from '../db.ts';
import { type Invalidation, onInvalidate } from '../invalidation.ts';
import { splitTarget } from './destination.ts';

/** What a redirect needs to know about a link, resolved once and kept in memory. */
export interface CachedLink {
  linkId: string;
  programId: string;
  enrollmentId: string;
  code: string;
  /** The link redirects and counts: enabled, program active, affiliate approved, target allowed. */
  live: boolean;
  prefix: string;
  suffix: string;
  plain: string;
  fallbackUrl: string | null;
  subs: (string | null)[];
  expiresAt: number;
}

type Entry = CachedLink | { missing: true; expiresAt: number };
const missingTtlMs = 10_000;

/**
 * Link lookups for the redirect. Entries live `ttlMs`, then are refreshed in the background
 * while the stale entry keeps serving (also when the database is down); changes to a link, its
 * program or its enrollment drop the entries at once (see invalidation.ts). Unknown codes are
 * remembered briefly so a flood of bad codes does not reach the database.
 */
export class LinkCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<CachedLink | null>>();
  private readonly stopListening: () => void;
  // Bumped by every invalidation: a lookup that started before one does not store its result.
  private generation = 0;

  constructor(
    private readonly db: () => Db,
    private readonly ttlMs: number,
    private readonly maxEntries = 100_000,
  ) {
    this.stopListening = onInvalidate((what) => this.drop(what));
  }

  /** The cached link, or undefined when it must be loaded (a miss). */
  peek(code: string): CachedLink | null | undefined {
    const entry = this.entries.get(code);
    if (!entry) return undefined;
    if (entry.expiresAt < Date.now()) {
      if ('missing' in entry) return undefined;
      void this.load(code).catch(() => {}); // refresh behind the stale entry
    }
    return 'missing' in entry ? null : entry;
  }

  load(code: string): Promise<CachedLink | null> {
    let loading = this.loading.get(code);
    if (!loading) {
      loading = this.fetch(code).finally(() => this.loading.delete(code));
      this.loading.set(code, loading);
    }
    return loading;
  }

  close() {
    this.stopListening();
    this.entries.clear();
  }

  private async fetch(code: string): Promise<CachedLink | null> {
    const generation = this.generation;
    const row = await this.db().link.findUnique({
      where: { code },
      include: {
        program: {
          select: {
            status: true,
            websiteUrl: true,
            defaultUrl: true,
            fallbackUrl: true,
            allowedDomains: true,
          },
        },
        enrollment: { select: { status: true } },
      },
    });
    const expiresAt = Date.now() + this.ttlMs;
    const store = (entry: Entry) => {
      if (generation !== this.generation) return;
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(code, entry);
    };
    if (!row) {
      store({ missing: true, expiresAt: Date.now() + missingTtlMs });
      return null;
    }
    const target = splitTarget(
      {
        destinationUrl: row.destinationUrl,
        utm: {
          source: row.utmSource,
          medium: row.utmMedium,
          campaign: row.utmCampaign,
          term: row.utmTerm,
          content: row.utmContent,
        },
      },
      row.program,
    );
    const link: CachedLink = {
      linkId: row.id,
      programId: row.programId,
      enrollmentId: row.enrollmentId,
      code,
      live:
        Boolean(target) &&
        !row.disabledAt &&
        row.program.status === 'ACTIVE' &&
        row.enrollment.status === 'APPROVED',
      prefix: target?.prefix ?? '',
      suffix: target?.suffix ?? '',
      plain: target?.plain ?? '',
      fallbackUrl: row.program.fallbackUrl,
      subs: [row.sub1, row.sub2, row.sub3, row.sub4, row.sub5],
      expiresAt,
    };
    store(link);
    return link;
  }

  private drop(what: Invalidation) {
    if ('apiKey' in what || 'webhooks' in what) return; // not about links
    this.generation++;
    if ('link' in what) {
      this.entries.delete(what.link);
      return;
    }
    for (const [code, entry] of this.entries) {
      if ('missing' in entry) continue;
      if (
        ('program' in what && entry.programId === what.program) ||
        ('enrollment' in what && entry.enrollmentId === what.enrollment)
      ) {
        this.entries.delete(code);
      }
    }
  }
}
