import { Prisma } from './generated/prisma/client.ts';

/** A unique constraint refused the write: the thing already exists. */
export const isUniqueViolation = (error: unknown): boolean =>
  error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
