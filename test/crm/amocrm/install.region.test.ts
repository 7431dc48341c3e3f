import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { portalRegion } from "../../../app/core/portal-region.js";
import { portals } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import type { FakeAmoCrm } from "./fake-amocrm.js";
import { AmoHarness } from "./harness.js";

/**
 * The account's phone region at install, from `country` in GET /api/v4/account (Kommo's
 * account-parameters reference: "Country specified in the account settings", `"US"` in its
 * example). The fake amoCRM answers the country each test gives it.
 */
describe.each(await backends())("amoCRM/Kommo install: the phone region from the account's country (%s)", (backend) => {
  const h = new AmoHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  async function install(fake: FakeAmoCrm, platform: "1" | "2") {
    const res = await h.redirect({ code: fake.issueCode(), referer: fake.host, platform, from_widget: "1" });
    expect(res.status).toBe(200);
    const row = await h.row(fake);
    return row!.settings;
  }

  it("an amoCRM account in Kazakhstan (country KZ) reads numbers in KZ, not RU", async () => {
    const fake = await h.account({ country: "KZ" });
    expect((await install(fake, "1")).region).toBe("KZ");
    expect(fake.restCalls("/api/v4/account")).toHaveLength(1);
  });

  it("a Kommo account in the United Kingdom (country GB) reads numbers in GB", async () => {
    const fake = await h.account({ country: "GB" });
    expect((await install(fake, "2")).region).toBe("GB");
  });

  it("no country in the answer: amoCRM stays RU, Kommo stays unset (read in RU until the admin sets one)", async () => {
    expect((await install(await h.account({ country: null }), "1")).region).toBe("RU");
    const kommo = await install(await h.account({ country: null }), "2");
    expect(kommo.region).toBeUndefined();
    expect(portalRegion({ settings: kommo })).toBe("RU");
  });

  it("a country that is not an ISO code (a name) does not fail the install and falls back to the platform rule", async () => {
    expect((await install(await h.account({ country: "Kazakhstan" }), "1")).region).toBe("RU");
  });

  it("a reinstall keeps the region the admin chose since, whatever the account's country says", async () => {
    const fake = await h.account({ country: "BY" });
    expect((await install(fake, "1")).region).toBe("BY");
    const row = (await h.row(fake))!;
    await h.t.db
      .update(portals)
      .set({ settings: sql`${portals.settings} || ${JSON.stringify({ region: "UA" })}::jsonb` })
      .where(eq(portals.id, row.id));
    expect((await install(fake, "1")).region).toBe("UA");
  });
});
