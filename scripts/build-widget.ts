/**
 * Packs the amoCRM widget archive (reference/amocrm.md 3): every file of widget/amocrm/ at the
 * zip root (no top-level folder), UTF-8 text without BOM.
 *
 *   npm run widget:build -- --url https://chatbridge.example.com [--out dist/widget-amocrm.zip] [--support-email help@example.com]
 *
 * The archive is uploaded once per deployment to the integration in amoCRM, and script.js has no
 * settings of its own to learn the backend from, so the deployment's public URL is written into
 * it at build time: `--url`, else the PUBLIC_URL environment variable (one of them is required).
 * It replaces `__CHATBRIDGE_PUBLIC_URL__` in script.js (the API base) and manifest.json
 * (`dp.webhook_url`, the support link). `--support-email` (or WIDGET_SUPPORT_EMAIL) adds the
 * support e-mail next to the link (3.2: one of the two is required).
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { zipSync } from "fflate";

export const URL_PLACEHOLDER = "__CHATBRIDGE_PUBLIC_URL__";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const WIDGET_DIR = join(ROOT, "widget", "amocrm");
const TEXT_FILE = /\.(json|js|twig|css)$/;
/** A fixed timestamp, so the same sources and URL always give the same archive. */
const ZIP_MTIME = new Date(Date.UTC(2026, 0, 1));

export interface WidgetBuildOptions {
  publicUrl: string;
  supportEmail?: string | undefined;
  sourceDir?: string;
}

/** The backend's origin + path prefix as the widget calls it: an absolute http(s) URL, no trailing slash, no query. */
export function normalizePublicUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new Error(`--url must be an absolute URL, got "${raw}"`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error(`--url must be http(s), got ${url.protocol}`);
  if (url.search || url.hash || url.username || url.password) throw new Error("--url must have no query, fragment or credentials");
  return url.href.replace(/\/+$/, "");
}

function listFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => !name.startsWith("."))
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? listFiles(path) : [path];
    });
}

/** 3: text files must be UTF-8 without BOM; invalid UTF-8 stops the build, a BOM is dropped. */
function utf8Text(bytes: Uint8Array, name: string): string {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new Error(`${name} is not valid UTF-8`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function manifestWithUrl(text: string, publicUrl: string, supportEmail: string | undefined): string {
  const manifest = JSON.parse(text.split(URL_PLACEHOLDER).join(publicUrl)) as { widget: { support?: Record<string, string> } };
  if (supportEmail) manifest.widget.support = { ...manifest.widget.support, email: supportEmail };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** The archive's entries: path inside the zip (forward slashes, at the root) -> bytes. */
export function widgetFiles(opts: WidgetBuildOptions): Map<string, Uint8Array> {
  const publicUrl = normalizePublicUrl(opts.publicUrl);
  const dir = opts.sourceDir ?? WIDGET_DIR;
  const files = new Map<string, Uint8Array>();
  for (const path of listFiles(dir).sort()) {
    const name = relative(dir, path).split(sep).join("/");
    const bytes = new Uint8Array(readFileSync(path));
    if (!TEXT_FILE.test(name)) {
      files.set(name, bytes);
      continue;
    }
    let text = utf8Text(bytes, name);
    text = name === "manifest.json" ? manifestWithUrl(text, publicUrl, opts.supportEmail) : text.split(URL_PLACEHOLDER).join(publicUrl);
    if (text.includes(URL_PLACEHOLDER)) throw new Error(`${name}: ${URL_PLACEHOLDER} left after substitution`);
    files.set(name, new TextEncoder().encode(text));
  }
  for (const required of ["manifest.json", "script.js"]) {
    if (!files.has(required)) throw new Error(`${dir} has no ${required}`);
  }
  return files;
}

export function buildWidgetZip(opts: WidgetBuildOptions): Uint8Array {
  const entries: Record<string, [Uint8Array, { level: 9; mtime: Date }]> = {};
  for (const [name, bytes] of widgetFiles(opts)) entries[name] = [bytes, { level: 9, mtime: ZIP_MTIME }];
  return zipSync(entries);
}

function main(): void {
  const { values } = parseArgs({
    options: { url: { type: "string" }, out: { type: "string" }, "support-email": { type: "string" } },
  });
  const publicUrl = values.url ?? process.env.PUBLIC_URL;
  if (!publicUrl) {
    console.error("widget:build needs the deployment's public URL: --url https://… or PUBLIC_URL");
    process.exit(2);
  }
  const out = resolve(values.out ?? join(ROOT, "dist", "widget-amocrm.zip"));
  // amoCRM posts Digital Pipeline events only to HTTPS (3.2 dp.webhook_url); http is for local trials
  if (normalizePublicUrl(publicUrl).startsWith("http:")) console.warn("warning: the URL is http, amoCRM needs https in production");
  const zip = buildWidgetZip({ publicUrl, supportEmail: values["support-email"] ?? process.env.WIDGET_SUPPORT_EMAIL });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, zip);
  console.log(`${out}: ${zip.length} bytes for ${normalizePublicUrl(publicUrl)}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
