import type { PhoneRegion } from "./phone.js";

/**
 * A portal's time zone: where its day starts and ends for the daily sending caps
 * (core/daily-caps.ts). An admin sets it in the settings pages (`portals.settings.timeZone`,
 * an IANA name); until then it follows the portal's region, the capital's zone for the
 * countries of the region list, UTC for others. Bitrix24 and amoCRM do not give one at install
 * that we rely on, so the region is the best first guess.
 *
 * Dates are computed with Intl (every runtime we run on has it: Node and Workers): no library,
 * since the only operations are "which day is it there" and "when does the next one start".
 */
const REGION_TIME_ZONE: Partial<Record<PhoneRegion, string>> = {
  RU: "Europe/Moscow",
  BY: "Europe/Minsk",
  KZ: "Asia/Almaty",
  UZ: "Asia/Tashkent",
  UA: "Europe/Kyiv",
  GE: "Asia/Tbilisi",
  AM: "Asia/Yerevan",
  AZ: "Asia/Baku",
  KG: "Asia/Bishkek",
  DE: "Europe/Berlin",
  GB: "Europe/London",
  US: "America/New_York",
  BR: "America/Sao_Paulo",
  MX: "America/Mexico_City",
  AR: "America/Argentina/Buenos_Aires",
  IN: "Asia/Kolkata",
  TR: "Europe/Istanbul",
};

/** An IANA time zone name this runtime knows; "UTC" too. */
export function isTimeZone(value: unknown): value is string {
  if (typeof value !== "string" || value.length === 0 || value.length > 64) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export function defaultTimeZone(region: PhoneRegion): string {
  return REGION_TIME_ZONE[region] ?? "UTC";
}

/** The stored choice when it is valid, otherwise the region's zone. */
export function portalTimeZone(settings: unknown, region: PhoneRegion): { timeZone: string; isDefault: boolean } {
  const stored = typeof settings === "object" && settings !== null ? (settings as { timeZone?: unknown }).timeZone : undefined;
  return isTimeZone(stored) ? { timeZone: stored, isDefault: false } : { timeZone: defaultTimeZone(region), isDefault: true };
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();
function dayFormat(timeZone: string): Intl.DateTimeFormat {
  let format = dayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
    dayFormats.set(timeZone, format);
  }
  return format;
}

/** The wall-clock fields of `at` in `timeZone`. */
function wallClock(at: Date, timeZone: string): { y: number; m: number; d: number; h: number; min: number; s: number } {
  const parts: Record<string, number> = {};
  for (const p of dayFormat(timeZone).formatToParts(at)) if (p.type !== "literal") parts[p.type] = Number(p.value);
  return { y: parts.year!, m: parts.month!, d: parts.day!, h: parts.hour!, min: parts.minute!, s: parts.second! };
}

/** The day `at` falls on in `timeZone`, as YYYY-MM-DD. */
export function localDay(at: Date, timeZone: string): string {
  const { y, m, d } = wallClock(at, timeZone);
  return `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/** How far `timeZone`'s wall clock is ahead of UTC at `at`, in ms. */
function offsetMs(at: Date, timeZone: string): number {
  const w = wallClock(at, timeZone);
  return Date.UTC(w.y, w.m - 1, w.d, w.h, w.min, w.s) - Math.floor(at.getTime() / 1000) * 1000;
}

/**
 * The instant the day after `at`'s day begins in `timeZone` (local midnight; where a zone's
 * clocks skip midnight, the first instant of that day).
 */
export function startOfNextDay(at: Date, timeZone: string): Date {
  const { y, m, d } = wallClock(at, timeZone);
  const midnightAsUtc = Date.UTC(y, m - 1, d + 1);
  // the offset at the guess, then once more at the corrected instant (a change of offset overnight)
  let guess = midnightAsUtc - offsetMs(new Date(midnightAsUtc), timeZone);
  guess = midnightAsUtc - offsetMs(new Date(guess), timeZone);
  // a midnight that does not exist (clocks jump from 23:59 to 01:00) lands before the day: step into it
  while (localDay(new Date(guess), timeZone) === localDay(at, timeZone)) guess += 15 * 60_000;
  return new Date(guess);
}
