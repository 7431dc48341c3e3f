/**
 * `npm run bench`: every figure the closing notes quote, measured on this machine, in this
 * order: the outbox pump on its own (outbox.ts), the hot statements one by one (statements.ts), the Workers bundle size (bundle-size.ts), then
 * the load bench against the real server (load.ts; needs PostgreSQL on 127.0.0.1:5432).
 *
 * BENCH_ONLY=outbox|statements|bundle|load (or a comma-separated list) runs only those parts.
 * The load bench reads its own variables: see bench/load.ts (BENCH_SECONDS=3 for a quick run).
 */
import { z } from "zod";
import { main as bundleSize } from "./bundle-size.js";
import { main as load } from "./load.js";
import { main as outbox } from "./outbox.js";
import { main as statements } from "./statements.js";

const PARTS = { outbox, statements, bundle: bundleSize, load } as const;
type Part = keyof typeof PARTS;
const partNames = Object.keys(PARTS) as [Part, ...Part[]];

const only = z
  .string()
  .transform((s) => s.split(",").map((p) => p.trim()).filter(Boolean))
  .pipe(z.array(z.enum(partNames, { error: `BENCH_ONLY takes ${partNames.join(", ")}` })).min(1))
  .optional()
  .safeParse(process.env.BENCH_ONLY?.trim() || undefined);
if (!only.success) {
  console.error(only.error.issues[0]?.message ?? "BENCH_ONLY is invalid");
  process.exit(2);
}

const chosen = only.data ?? partNames;
for (const [i, part] of partNames.filter((p) => chosen.includes(p)).entries()) {
  if (i > 0) console.log("");
  await PARTS[part]();
}
