import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.ts';

// Secret columns are never loaded unless a query selects them by name.
export const omitted = {
  user: { passwordHash: true },
  apiKey: { keyHash: true },
  refreshToken: { tokenHash: true },
  webhookEndpoint: { secret: true },
  invitation: { tokenHash: true },
} as const;

function createClient(url: string, poolSize: number) {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: url, max: poolSize, connectionTimeoutMillis: 10_000 }),
    omit: omitted,
  });
}

export type Db = ReturnType<typeof createClient>;

// A module-level client (not a context field) keeps types simple; `connectDb` points it at the
// database chosen at start-up: the embedded one or DATABASE_URL.
export let prisma: Db = undefined as unknown as Db;

export function connectDb(url: string, poolSize = 10): Db {
  prisma = createClient(url, poolSize);
  return prisma;
}

export async function disconnectDb(): Promise<void> {
  await prisma?.$disconnect();
}
