/**
 * Builds the Node entry (worker/node.ts) into dist/node.js with esbuild: one ESM file for
 * Node 20 with its dependencies bundled in (all but PGlite, undici and esbuild, which stay
 * imports of node_modules), a source map beside it. `npm start`
 * runs the build only when the sources changed since the last one (scripts/start.mjs), so a
 * fresh checkout needs nothing but `npm ci && npm start`; `npm run build` forces it.
 *
 * Plain JavaScript on purpose: the launcher must run without tsx (tsx compiling TypeScript at
 * every start was about 1 s of it).
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const SELF = fileURLToPath(import.meta.url);

/**
 * What the bundle is made of: the bundled sources (esbuild's metafile lists only app/ and
 * worker/ files), migrations/ (read at run time, its journal bundled), the locked dependency
 * versions, package.json and this build script itself.
 */
const SOURCE_DIRS = ["app", "worker", "migrations"];
const SOURCE_FILES = ["package.json", "package-lock.json"];

/** @param {string} root the project folder */
export function buildPaths(root) {
  const dist = join(root, "dist");
  return { dist, bundle: join(dist, "node.js"), stamp: join(dist, "node.stamp") };
}

/**
 * A fingerprint of the sources: every file's path, size and modification time. Stat only, no
 * reads: about 600 files cost a few milliseconds. Adding, removing, editing or touching a file
 * changes it.
 * @param {string} root
 * @returns {string}
 */
export function sourceStamp(root) {
  /** @type {string[]} */
  const files = [...SOURCE_FILES.map((f) => join(root, f)), SELF];
  for (const dir of SOURCE_DIRS) {
    for (const entry of readdirSync(join(root, dir), { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) files.push(join(entry.parentPath, entry.name));
    }
  }
  const hash = createHash("sha256");
  for (const file of files.sort()) {
    const st = statSync(file);
    hash.update(`${relative(root, file)}\0${st.size}\0${st.mtimeMs}\n`);
  }
  return hash.digest("hex");
}

/** @param {string} root */
function readStamp(root) {
  try {
    const { bundle, stamp } = buildPaths(root);
    statSync(bundle);
    return readFileSync(stamp, "utf8").trim();
  } catch {
    return undefined;
  }
}

/**
 * Bundles worker/node.ts into dist/. The files are written under temporary names and renamed,
 * so a second `npm start` racing this one never imports half a bundle.
 * @param {string} root
 * @param {string} [stamp] the source stamp taken before the build (a file edited during the build then rebuilds next time)
 */
export async function buildNode(root, stamp = sourceStamp(root)) {
  // loaded only when a build is needed: a start with a current bundle does not pay for it
  const esbuild = await import("esbuild");
  const paths = buildPaths(root);
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [join(root, "worker", "node.ts")],
    outdir: paths.dist,
    // dynamic imports (worker/node.ts loads the outbound fetch and undici after it listens)
    // become chunks loaded on demand, not code evaluated at start
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // dependencies bundled in: importing them file by file through Node's ESM loader (drizzle,
    // zod, hono... some 400 modules) was ~0.6 s of every start. Left outside: PGlite (it finds
    // its .wasm and .data beside its own module), undici (loaded after the server listens) and
    // esbuild (the build itself)
    external: ["@electric-sql/pglite", "undici", "esbuild", "pg-native"],
    // CommonJS dependencies (pg) call require(); an ESM bundle has none of its own
    banner: { js: "import { createRequire as __cbCreateRequire } from 'node:module'; const require = __cbCreateRequire(import.meta.url);" },
    sourcemap: "linked",
    // Node reads the map at every start (stack traces name the TypeScript sources): mappings
    // only, without a copy of every source in it
    sourcesContent: false,
    write: false,
    logLevel: "silent",
  });
  const suffix = `.tmp-${process.pid}`;
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path + suffix, file.contents);
  }
  // the map first: a bundle that is in place always has its map
  const maps = result.outputFiles.filter((f) => f.path.endsWith(".map"));
  const code = result.outputFiles.filter((f) => !f.path.endsWith(".map"));
  for (const file of [...maps, ...code]) renameSync(file.path + suffix, file.path);
  writeFileSync(paths.stamp + suffix, `${stamp}\n`);
  renameSync(paths.stamp + suffix, paths.stamp);
  // chunk names carry a content hash: the ones of earlier builds are no longer referenced
  const chunks = join(paths.dist, "chunks");
  const current = new Set(result.outputFiles.map((f) => f.path));
  for (const name of readdirSync(chunks)) {
    if (!current.has(join(chunks, name)) && !name.includes(".tmp-")) rmSync(join(chunks, name), { force: true });
  }
}

/**
 * Builds when dist/ is missing or older than the sources; answers whether it did.
 * @param {string} root
 * @returns {Promise<boolean>}
 */
export async function ensureBuilt(root) {
  const stamp = sourceStamp(root);
  if (readStamp(root) === stamp) return false;
  await buildNode(root, stamp);
  return true;
}

/** `npm run build`: always builds. */
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const root = resolve(dirname(SELF), "..");
  buildNode(root).then(
    () => console.log(`built ${relative(root, buildPaths(root).bundle)}`),
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
