// Entry of the click writer's thread. Threads do not inherit the TypeScript loader the API runs
// under, so register it here before loading the TypeScript module.
import { register } from 'tsx/esm/api';

register();
await import('./writer-thread.ts');
