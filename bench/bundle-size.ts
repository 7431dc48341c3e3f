import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { buildWorkersBundle } from "../worker/workers-bundle.js";

/** Cloudflare's limit is far higher; ours keeps cold starts short and leaves room to grow. */
export const BUNDLE_GZIP_BUDGET_BYTES = 400 * 1024;

export interface BundleSize {
  rawBytes: number;
  gzipBytes: number;
  withinBudget: boolean;
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/** Prints the raw and gzipped size of the Workers bundle, as `wrangler deploy` would upload it. */
export async function main(): Promise<BundleSize> {
  const outDir = await mkdtemp(join(tmpdir(), "chatbridge-bundle-"));
  try {
    const { rawBytes, gzipBytes } = await buildWorkersBundle(outDir);
    const withinBudget = gzipBytes <= BUNDLE_GZIP_BUDGET_BYTES;
    console.log(
      `workers bundle: ${kib(rawBytes)} raw, ${kib(gzipBytes)} gzipped ` +
        `(budget ${kib(BUNDLE_GZIP_BUDGET_BYTES)} gzipped: ${withinBudget ? "ok" : "OVER"})`,
    );
    return { rawBytes, gzipBytes, withinBudget };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().then(
    (size) => process.exit(size.withinBudget ? 0 : 1),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
