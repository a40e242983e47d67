-- Reports sum whole days from the index alone (an index-only scan), reading the wide rows with
-- their quarter-hour arrays only for the days a local day cuts. Row updates were never HOT (the
-- rows fill their pages), so a wider index entry costs writes about nothing more. Prisma's
-- schema cannot state INCLUDE: the index keeps the name and columns schema.prisma gives it.
DROP INDEX "DailyRollup_programId_scope_day_idx";
CREATE INDEX "DailyRollup_programId_scope_day_idx" ON "DailyRollup" ("programId", scope, day)
  INCLUDE (key, "enrollmentId", "linkId", "subId", clicks, "uniqueClicks", leads, sales, revenue, commission);
