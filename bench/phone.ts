import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { AppError } from "../app/core/errors.js";
import { normalizePhone, type PhoneRegion } from "../app/core/phone.js";
import { normalizePhone as legacyNormalizePhone } from "./phone-legacy.js";

/**
 * What the webhook API, robots and Salesbot are given, mixed as they come: Russian habits,
 * other countries' numbers with and without +, and mistakes that are refused. The region is the
 * one a portal in that country has (the legacy parser has none: it reads everything as Russian).
 */
const NUMBERS: ReadonlyArray<readonly [string, PhoneRegion]> = [
  ["8 (900) 123-45-67", "RU"],
  ["+7 900 123 45 67", "RU"],
  ["79001234567", "RU"],
  ["9001234567", "RU"],
  ["8 10 380 50 123 4567", "RU"],
  ["+8 900 123 45 67", "RU"],
  ["8 029 123-45-67", "BY"],
  ["+375 29 123 45 67", "BY"],
  ["8 701 123 4567", "KZ"],
  ["0501234567", "UA"],
  ["+380 50 123 4567", "UA"],
  ["020 7946 0958", "GB"],
  ["+44 20 7946 0958", "GB"],
  ["(415) 555-2671", "US"],
  ["+49 30 1234567", "DE"],
  ["+55 11 91234-5678", "BR"],
  ["8 900 123", "RU"],
  ["hello", "RU"],
  ["", "RU"],
  ["+1234567890123456", "RU"],
];

const MIN_MS = 1000;

/** Calls of `parse` over the whole list per second; a refusal (AppError invalid_phone) counts as a call, as in the API. */
function opsPerSecond(parse: (input: string, region: PhoneRegion) => string): number {
  const pass = () => {
    for (const [input, region] of NUMBERS) {
      try {
        parse(input, region);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
      }
    }
  };
  for (let i = 0; i < 200; i++) pass(); // warm the JIT before timing
  let passes = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < MIN_MS) {
    for (let i = 0; i < 50; i++) pass();
    passes += 50;
    elapsed = performance.now() - start;
  }
  return (passes * NUMBERS.length) / (elapsed / 1000);
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
/** new / legacy throughput: below 1 the new parser is slower by 1/ratio times. */
const ratio = (n: number, legacy: number) => `${(n / legacy).toFixed(3)}, ${n < legacy ? `${(legacy / n).toFixed(1)}x slower` : `${(n / legacy).toFixed(1)}x faster`}`;

/** Prints normalizePhone's throughput against the legacy RU-first parser on the same numbers, and the ratio. */
export async function main(): Promise<{ legacy: number; current: number; currentInRegion: number }> {
  const legacy = opsPerSecond((input) => legacyNormalizePhone(input));
  const current = opsPerSecond((input) => normalizePhone(input, "phone_number", "RU"));
  const currentInRegion = opsPerSecond((input, region) => normalizePhone(input, "phone_number", region));
  console.log(`phone: normalizePhone over ${NUMBERS.length} mixed numbers (valid and refused), >= ${MIN_MS} ms each`);
  console.log(`  legacy hand-written RU-first parser:   ${fmt(legacy)} ops/s`);
  console.log(`  libphonenumber-js, all read in RU:     ${fmt(current)} ops/s (ratio to legacy ${ratio(current, legacy)})`);
  console.log(`  libphonenumber-js, each in its region: ${fmt(currentInRegion)} ops/s (ratio to legacy ${ratio(currentInRegion, legacy)})`);
  return { legacy, current, currentInRegion };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
