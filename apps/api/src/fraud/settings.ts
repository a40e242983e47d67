import { prisma } from '../db.ts';
import { ExpiringCache } from '../expiring-cache.ts';
import { onInvalidate } from '../invalidation.ts';
import { defaultSettings, paramsSchema, type Rule, type Settings } from './rules.ts';

// Read on every attributed conversion. Changing a rule drops the program's entry here at once, and
// in other instances through the invalidation channel (Redis); without Redis, within 30 s.
const cache = new ExpiringCache<Settings>(30_000);
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
  const hit = cache.get(programId);
  if (hit) return hit;
  const settings = await loadSettings(programId);
  cache.set(programId, settings);
  return settings;
}
