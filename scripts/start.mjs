/**
 * `npm start`: builds dist/node.js when the sources changed since the last build
 * (scripts/build-node.mjs), then runs it in this process. Plain JavaScript, so starting needs
 * no TypeScript compiler; `npm run dev` runs worker/node.ts through tsx instead.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildPaths, ensureBuilt } from "./build-node.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

try {
  if (await ensureBuilt(root)) console.log(JSON.stringify({ level: "info", msg: "built dist/node.js from changed sources" }));
} catch (err) {
  // esbuild's message lists each error with file and line
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
// stack traces in logs name the TypeScript sources
process.setSourceMapsEnabled(true);
/** @type {{ main(): Promise<void> }} */
const entry = await import(pathToFileURL(buildPaths(root).bundle).href);
await entry.main();
