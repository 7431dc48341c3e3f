import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const APP = join(ROOT, "app");

/** Packages that only run on Node: app/ must work unchanged on Workers (DESIGN.md, Layout). */
const NODE_ONLY_PACKAGES = ["@hono/node-server", "@electric-sql/pglite", "drizzle-orm/pglite"];

/**
 * Node builtins Workers provides under the `nodejs_compat` flag of wrangler.toml, and that the
 * Miniflare suite (cloudflare.test.ts) exercises in workerd: node:crypto for amojo's Content-MD5,
 * which WebCrypto lacks. Only with the `node:` prefix.
 */
const WORKERS_NODE_COMPAT = ["node:crypto"];

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Every module specifier in static imports/exports, `import("...")` and `require("...")`. */
function moduleSpecifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\b(?:import|require)\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of source.matchAll(pattern)) found.push(m[1]!);
  return found;
}

function nodeOnlyReason(specifier: string): string | undefined {
  if (WORKERS_NODE_COMPAT.includes(specifier)) return undefined;
  if (specifier.startsWith("node:")) return "a node: builtin";
  const root = specifier.split("/")[0]!;
  if (builtinModules.includes(specifier) || builtinModules.includes(root)) return "a Node builtin";
  if (NODE_ONLY_PACKAGES.some((p) => specifier === p || specifier.startsWith(`${p}/`))) return "a Node-only package";
  return undefined;
}

describe("app/ stays runtime-agnostic", () => {
  it("recognises the kinds of import it must refuse", () => {
    const sample = [
      'import { readFile } from "node:fs/promises";',
      "import path from 'path';",
      'import type { X } from "crypto";',
      'export { serve } from "@hono/node-server";',
      'const m = await import("drizzle-orm/pglite/migrator");',
      'import "@electric-sql/pglite";',
      'import { Hono } from "hono";',
      'import { eq } from "drizzle-orm";',
      'import { createHash } from "node:crypto";',
    ].join("\n");
    const refused = moduleSpecifiers(sample).filter((s) => nodeOnlyReason(s) !== undefined);
    expect(refused).toEqual([
      "node:fs/promises",
      "path",
      "crypto",
      "@hono/node-server",
      "@electric-sql/pglite",
      "drizzle-orm/pglite/migrator",
    ]);
  });

  it("no file under app/ imports a Node builtin or a Node-only package", () => {
    const files = tsFiles(APP);
    expect(files.length).toBeGreaterThan(10);
    const offences: string[] = [];
    for (const file of files) {
      for (const specifier of moduleSpecifiers(readFileSync(file, "utf8"))) {
        const reason = nodeOnlyReason(specifier);
        if (reason) offences.push(`${relative(ROOT, file)} imports "${specifier}" (${reason})`);
      }
    }
    expect(offences).toEqual([]);
  });
});
