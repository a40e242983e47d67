import type { ProgramStatus } from '../generated/prisma/client.ts';

// DRAFT → ACTIVE ⇄ PAUSED, and any of them → ARCHIVED, which is final.
const allowed: Record<ProgramStatus, readonly ProgramStatus[]> = {
  DRAFT: ['ACTIVE', 'ARCHIVED'],
  ACTIVE: ['PAUSED', 'ARCHIVED'],
  PAUSED: ['ACTIVE', 'ARCHIVED'],
  ARCHIVED: [],
};

export const canChangeStatus = (from: ProgramStatus, to: ProgramStatus) => allowed[from].includes(to);
