import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';

// Prisma's schema engine compiled to WebAssembly: migrations without the native binary,
// which cannot be downloaded here. Its package imports the .wasm as an ES module, which
// Node 20 cannot do, so the module is instantiated by hand.
type Wasm = typeof import('@prisma/schema-engine-wasm');
export type SchemaEngine = Awaited<ReturnType<Wasm['SchemaEngine']['new']>>;

let wasm: Promise<Wasm> | undefined;

async function loadWasm(): Promise<Wasm> {
  const require = createRequire(import.meta.url);
  const dir = require.resolve('@prisma/schema-engine-wasm').replace(/schema_engine\.js$/, '');
  const bindings = (await import(`${dir}schema_engine_bg.js`)) as Wasm & {
    __wbg_set_wasm(exports: WebAssembly.Exports): void;
  };
  const { instance } = await WebAssembly.instantiate(await readFile(`${dir}schema_engine_bg.wasm`), {
    './schema_engine_bg.js': bindings as unknown as WebAssembly.ModuleImports,
  });
  bindings.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as (() => void) | undefined)?.();
  return bindings;
}

type Adapter = Awaited<ReturnType<PrismaPg['connect']>>;

/**
 * The pg adapter runs a migration script statement by statement, splitting it at every
 * semicolon: that breaks PL/pgSQL bodies and any quoted semicolon. PostgreSQL parses a whole
 * script itself when it comes as one simple query, and runs it as one transaction.
 */
function wholeScripts(adapter: Adapter): Adapter {
  const inner = adapter as unknown as { client: pg.Pool; onError(error: unknown): never };
  adapter.executeScript = async (script: string) => {
    try {
      await inner.client.query(script);
    } catch (error) {
      inner.onError(error);
    }
  };
  return adapter;
}

class WholeScriptPg extends PrismaPg {
  override async connect() {
    return wholeScripts(await super.connect());
  }
  override async connectToShadowDb() {
    return wholeScripts(await super.connectToShadowDb());
  }
}

/** Runs `work` with a schema engine connected to `databaseUrl`, then releases both. */
export async function withSchemaEngine<T>(
  databaseUrl: string,
  schema: string,
  work: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  wasm ??= loadWasm();
  const { SchemaEngine } = await wasm;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const adapter = bindMigrationAwareSqlAdapterFactory(new WholeScriptPg(pool));
  const engine = await SchemaEngine.new({ datamodels: [['schema.prisma', schema]] }, () => {}, adapter);
  try {
    return await work(engine);
  } finally {
    engine.free();
    await pool.end();
  }
}
