import { prisma } from '../db.ts';
import { onInvalidate } from '../invalidation.ts';
import { defaultSettings, paramsSchema, type Rule, type Settings } from './rules.ts';

// Read on every attributed conversion. Changing a rule drops the program's entry here at once, and
// in other instances through the invalidation channel (Redis); without Redis, within `ttlMs`.
const ttlMs = 30_000;
const cache = new Map<string, { settings: Settings; until: number }>();
onInvalidate((what) => {
  if ('program' in what) cache.delete(what.program);
});

/** A program's rule settings: its saved ones over the defaults. */
export async function loadSettings(programId: string): Promise<Settings> {
  const settings = defaultSettings();
  const rows = await prisma.fraudRuleSetting.findMany({ where: { programId } });
  for (const row of rows) {
    const rule = row.rule as Rule;
    // Saved params were validated on the way in; defaults fill fields added since.
    const params = paramsSchema[rule].safeParse(row.params);
    Object.assign(settings[rule], {
      enabled: row.enabled,
      action: row.action,
      ...(params.success ? { params: params.data } : {}),
    });
  }
  return settings;
}

export async function fraudSettings(programId: string): Promise<Settings> {
  const now = Date.now();
  const hit = cache.get(programId);
  if (hit && hit.until > now) return hit.settings;
  const settings = await loadSettings(programId);
  if (cache.size >= 10_000) cache.clear();
  cache.set(programId, { settings, until: now + ttlMs });
  return settings;
}
