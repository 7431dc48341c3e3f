import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

/** Debian's `chromium` package; .ci/run installs it. Playwright's own browser downloads are never used. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

const inCi = Boolean(process.env.CI) && process.env.CI !== "false";

/**
 * Whether the browser suites run: always under CI (a missing browser then fails them), and
 * locally only when the browser is installed, like the PostgreSQL half of the storage suites.
 */
export function browserSuitesRun(): boolean {
  if (inCi || existsSync(CHROMIUM_PATH)) return true;
  console.warn(`${CHROMIUM_PATH} is missing; the browser suites are skipped outside CI (apt-get install chromium)`);
  return false;
}

/**
 * Flags for a closed network: without the background-networking ones Chromium stalls on
 * update, sync and field-trial fetches that never answer. --disable-dev-shm-usage because a
 * container's /dev/shm is often too small for the renderer's shared memory. Local Network
 * Access off because a page that Playwright answers itself (page.route) has no address and so
 * counts as public, and a public page may not load anything from loopback, where every server
 * of a test listens.
 */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
  "--disable-features=LocalNetworkAccessChecks",
];

export interface Chromium {
  context: BrowserContext;
  /** closes the browser (the process exits before this resolves) and removes its profile */
  close(): Promise<void>;
}

/**
 * Headless Chromium with a fresh profile of its own in a temp directory (Playwright wants the
 * profile as launchPersistentContext's argument rather than as --user-data-dir).
 */
export async function launchChromium(viewport: { width: number; height: number }): Promise<Chromium> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is missing: .ci/run installs Debian's chromium package`);
  const profile = await mkdtemp(join(tmpdir(), "chatbridge-chromium-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport,
      timeout: 30_000,
    });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
  return {
    context,
    async close() {
      try {
        await context.close();
      } finally {
        await rm(profile, { recursive: true, force: true, maxRetries: 3 });
      }
    },
  };
}
