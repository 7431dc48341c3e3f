import { describe, expect, it } from "vitest";
import { defaultTimeZone, isTimeZone, localDay, portalTimeZone, startOfNextDay } from "../../app/core/portal-time-zone.js";

describe("portal time zone", () => {
  it("follows the region until an admin chooses one, and ignores a stored name the runtime does not know", () => {
    expect(portalTimeZone({}, "BY")).toEqual({ timeZone: "Europe/Minsk", isDefault: true });
    expect(portalTimeZone({ timeZone: "Asia/Yekaterinburg" }, "RU")).toEqual({ timeZone: "Asia/Yekaterinburg", isDefault: false });
    expect(portalTimeZone({ timeZone: "Mars/Olympus" }, "RU")).toEqual({ timeZone: "Europe/Moscow", isDefault: true });
    expect(defaultTimeZone("PL")).toBe("UTC");
    expect(isTimeZone("UTC")).toBe(true);
    expect(isTimeZone("")).toBe(false);
    expect(isTimeZone(42)).toBe(false);
  });

  it("reads the day in the zone, not in UTC", () => {
    const lateEvening = new Date("2026-12-04T21:30:00Z");
    expect(localDay(lateEvening, "UTC")).toBe("2026-12-04");
    expect(localDay(lateEvening, "Europe/Moscow")).toBe("2026-12-05");
    expect(localDay(lateEvening, "America/New_York")).toBe("2026-12-04");
  });

  it("finds the next local midnight, across offsets and daylight-saving changes", () => {
    expect(startOfNextDay(new Date("2026-12-04T20:00:00Z"), "Europe/Moscow").toISOString()).toBe("2026-12-04T21:00:00.000Z");
    expect(startOfNextDay(new Date("2026-12-04T21:00:00Z"), "Europe/Moscow").toISOString()).toBe("2026-12-05T21:00:00.000Z");
    expect(startOfNextDay(new Date("2026-12-04T12:00:00Z"), "Asia/Kolkata").toISOString()).toBe("2026-12-04T18:30:00.000Z");
    // New York springs forward on 2026-03-08 (02:00 -> 03:00) and falls back on 2026-11-01
    expect(startOfNextDay(new Date("2026-03-08T12:00:00Z"), "America/New_York").toISOString()).toBe("2026-03-09T04:00:00.000Z");
    expect(startOfNextDay(new Date("2026-03-07T12:00:00Z"), "America/New_York").toISOString()).toBe("2026-03-08T05:00:00.000Z");
    expect(startOfNextDay(new Date("2026-10-31T12:00:00Z"), "America/New_York").toISOString()).toBe("2026-11-01T04:00:00.000Z");
    // Chile (America/Santiago) moves its clocks at midnight: 2026-09-06 00:00 does not exist, the day starts at 01:00
    const chile = startOfNextDay(new Date("2026-09-05T12:00:00Z"), "America/Santiago");
    expect(localDay(chile, "America/Santiago")).toBe("2026-09-06");
    expect(localDay(new Date(chile.getTime() - 1), "America/Santiago")).toBe("2026-09-05");
  });
});
