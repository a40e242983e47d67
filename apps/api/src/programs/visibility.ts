import type { Program } from '../generated/prisma/client.ts';

/** Listed programs are visible to every signed-in user and secret key (the marketplace). */
export const isListed = (program: Pick<Program, 'status' | 'visibility'>) =>
  program.status === 'ACTIVE' && program.visibility === 'PUBLIC';
