export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The millisecond a UUIDv7 click id was made: when the API recorded the click. */
export const idTime = (id: string) => Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);

export const round = (ms: number) => (Number.isFinite(ms) ? `${Math.round(ms)} ms` : 'never');

/** How far into the run `t` is, once the warm-up is over. */
export const secondsIn = (t: number, startedAt: number) => `${((t - startedAt) / 1000).toFixed(1)} s`;
