// The settings, from the environment: see main.ts for what each means.
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

export const seconds = env('BENCH_SECONDS', 75);
export const kills = env('BENCH_KILLS', 3);
export const pgRestarts = env('BENCH_PG_RESTARTS', 2);
export const pgDownMs = env('BENCH_PG_DOWN_MS', 2000);
export const cuts = env('BENCH_CUTS', 1);
export const clickConnections = env('BENCH_CLICK_CONNECTIONS', 8);
export const saleConcurrency = env('BENCH_SALE_CONCURRENCY', 8);
export const clickRate = env('BENCH_CLICK_RATE', 1500);
export const saleRate = env('BENCH_SALE_RATE', 150);
export const lossBoundMs = env('BENCH_LOSS_BOUND_MS', 2000);
export const recoveryLimitMs = env('BENCH_RECOVERY_LIMIT_MS', 10_000);
