import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export interface WorkersBundle {
  /** the entry module wrangler would upload */
  scriptPath: string;
  rawBytes: number;
  gzipBytes: number;
}

/**
 * Builds exactly what `wrangler deploy` would upload (wrangler.toml, minify included) without
 * uploading: `wrangler deploy --dry-run --outdir`. Works offline; metrics are switched off so
 * wrangler makes no network call.
 */
export async function buildWorkersBundle(outDir: string): Promise<WorkersBundle> {
  const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
  try {
    await promisify(execFile)(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outDir], {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const out = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`wrangler deploy --dry-run failed: ${out.message}\n${out.stdout ?? ""}\n${out.stderr ?? ""}`);
  }
  const entry = (await readdir(outDir)).find((f) => f.endsWith(".js"));
  if (!entry) throw new Error(`wrangler wrote no .js bundle into ${outDir}`);
  const scriptPath = join(outDir, entry);
  const bytes = await readFile(scriptPath);
  return { scriptPath, rawBytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
}
