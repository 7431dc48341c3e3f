import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { channels, portals } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { LOCAL_NUMBERS } from "../../support/local-numbers.js";
import { newEventToken, postRobotRun } from "./automation-calls.js";
import { ConnectorHarness } from "./connector-harness.js";

/**
 * The send robot end to end on portals in Belarus, Kazakhstan, Ukraine and the UK: the number in
 * the robot's phone property, typed the local way, reaches Wappi as the right international
 * number, counted at the fake (automation.recipients.test.ts checks the stored peer for BY).
 */
describe.each(await backends())("Bitrix24 send robot: numbers read in the portal's region (%s)", (backend) => {
  const h = new ConnectorHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it.each(LOCAL_NUMBERS)("$region: `$typed` is sent to $international", async ({ region, typed, international }) => {
    const b = await h.boundChannel();
    await h.deps.db.update(portals).set({ settings: sql`${portals.settings} || ${JSON.stringify({ region })}::jsonb` }).where(eq(portals.externalId, b.portal.memberId));
    await h.deps.db.update(channels).set({ paceMinMs: 0, paceJitterMs: 0 }).where(eq(channels.id, b.channel.id));
    const text = `Robot ${region}`;
    const res = await postRobotRun(h, b.portal, newEventToken(), { phone: typed, text, channel: b.channel.id });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true });
    await h.runJobs(2);
    expect(h.wappiSends().filter((s) => s.body === text).map((s) => s.recipient)).toEqual([international]);
    expect(h.wappi.violations).toEqual([]);
  });
});
