import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { AmoCrmClient } from "../../../app/crm/amocrm/client.js";
import { AmoCrmReinstallNeededError } from "../../../app/crm/amocrm/errors.js";
import { amocrmTokenContext } from "../../../app/crm/amocrm/portal.js";
import { PermanentError } from "../../../app/core/outbox/types.js";
import { portals } from "../../../app/db/schema.js";
import { openDatabase } from "../../../worker/node-db.js";
import { backends } from "../../support/db.js";
import { testDeps } from "../../support/deps.js";
import { REVOKED_BODY } from "./fake-amocrm.js";
import { AmoHarness } from "./harness.js";

const accountSchema = z.looseObject({ id: z.number() });

describe.each(await backends())("amoCRM token refresh (%s)", (backend) => {
  const h = new AmoHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  const storedAccess = async (id: string) => {
    const [row] = await h.t.db.select().from(portals).where(eq(portals.id, id));
    return h.deps.keyring.decrypt(row!.accessTokenEnc!, amocrmTokenContext(row!.externalId, "access"));
  };

  it("happy: a token with less than 5 minutes left is refreshed before the call; the new pair is stored first (1.1, 1.4)", async () => {
    const { fake, row } = await h.installed();
    const oldAccess = await storedAccess(row.id);
    await h.t.db.update(portals).set({ tokenExpiresAt: new Date(h.clock.now().getTime() + 60_000) }).where(eq(portals.id, row.id));
    await h.client(row).request("GET", "/api/v4/account", undefined, accountSchema);
    expect(fake.refreshRequests()).toHaveLength(1);
    expect(fake.refreshRequests()[0]).toMatchObject({ grant_type: "refresh_token", redirect_uri: "https://bridge.example/amocrm/oauth" });
    const newAccess = await storedAccess(row.id);
    expect(newAccess).not.toBe(oldAccess);
    const [call] = fake.restCalls("/api/v4/account").slice(-1);
    expect(call!.headers.authorization).toBe(`Bearer ${newAccess}`);
    const [after] = await h.t.db.select().from(portals).where(eq(portals.id, row.id));
    expect(after!.tokenExpiresAt!.getTime()).toBeGreaterThan(h.clock.now().getTime() + 86_000_000);
    expect(after!.refreshLeaseUntil).toBeNull();
  });

  it("happy: a 401 on a token we thought valid refreshes once and repeats the call", async () => {
    const { fake, row } = await h.installed();
    fake.expireAccessTokens();
    expect(await h.client(row).request("GET", "/api/v4/account", undefined, accountSchema)).toMatchObject({ id: fake.accountId });
    expect(fake.refreshRequests()).toHaveLength(1);
    expect(fake.restCalls("/api/v4/account").slice(-2).map((c) => c.headers.authorization)).toEqual([expect.any(String), `Bearer ${await storedAccess(row.id)}`]);
  });

  it("security: 10 parallel calls with an expired token use the single-use refresh token exactly once (6.2 pitfall 1)", async () => {
    const { fake, row } = await h.installed();
    await h.expireTokens(fake, row);
    fake.refreshDelayMs = 150;
    const results = await Promise.all(Array.from({ length: 10 }, () => h.client(row).request("GET", "/api/v4/account", undefined, accountSchema)));
    expect(results.every((r) => r?.id === fake.accountId)).toBe(true);
    expect(fake.refreshRequests()).toHaveLength(1);
    expect(fake.spentRefreshTokens.size).toBe(1);
    const [after] = await h.t.db.select().from(portals).where(eq(portals.id, row.id));
    expect(after!.status).toBe("active");
  });

  it.runIf(backend === "postgres")("security: two instances (separate pools) refreshing at once take turns through the row lease; one refresh", async () => {
    const { fake, row } = await h.installed();
    await h.expireTokens(fake, row);
    fake.refreshDelayMs = 300;
    const second = await openDatabase({ url: h.t.url!, poolSize: 4 });
    try {
      const otherDeps = await testDeps(second.db, { clock: h.clock, config: h.deps.config });
      const calls = Array.from({ length: 6 }, (_, i) =>
        (i % 2 === 0 ? h.client(row) : new AmoCrmClient(otherDeps, row.id)).request("GET", "/api/v4/account", undefined, accountSchema),
      );
      const results = await Promise.all(calls);
      expect(results.every((r) => r?.id === fake.accountId)).toBe(true);
      expect(fake.refreshRequests()).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  it("security: a refused refresh token (revoked, 401 'Token has been revoked') marks the account needs_reinstall; later calls fail without network", async () => {
    const { fake, row } = await h.installed();
    fake.revokeAll();
    const err = await h.client(row).request("GET", "/api/v4/account", undefined, accountSchema).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmoCrmReinstallNeededError);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain(REVOKED_BODY.hint);
    const [after] = await h.t.db.select().from(portals).where(eq(portals.id, row.id));
    expect(after!.status).toBe("needs_reinstall");
    expect(after!.refreshLeaseUntil).toBeNull();

    const before = fake.calls.length;
    await expect(h.client(row).request("GET", "/api/v4/account", undefined, accountSchema)).rejects.toBeInstanceOf(AmoCrmReinstallNeededError);
    expect(fake.calls.length).toBe(before);

    // a reinstall brings it back
    await h.install(fake);
    expect(await h.client(row).request("GET", "/api/v4/account", undefined, accountSchema)).toMatchObject({ id: fake.accountId });
  });

  it("security: a refresh token reused after another process spent it is refused the same way (6.2 pitfall 1)", async () => {
    const { fake, row } = await h.installed();
    const [stored] = await h.t.db.select().from(portals).where(eq(portals.id, row.id));
    await h.client(row).request("GET", "/api/v4/account", undefined, accountSchema);
    // another process refreshed and its save was lost: our row still holds the spent pair
    fake.expireAccessTokens();
    const res = await fetch(`${fake.url}/oauth2/access_token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        client_id: fake.clientId,
        client_secret: fake.clientSecret,
        grant_type: "refresh_token",
        refresh_token: await h.deps.keyring.decrypt(stored!.refreshTokenEnc!, amocrmTokenContext(stored!.externalId, "refresh")),
        redirect_uri: "https://bridge.example/amocrm/oauth",
      }),
    });
    expect(res.status).toBe(200);
    const err = await h.client(row).request("GET", "/api/v4/account", undefined, accountSchema).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmoCrmReinstallNeededError);
    expect((await h.row(fake))!.status).toBe("needs_reinstall");
  });

  it("error: a fresh token still refused (401 twice) means the grant is gone: needs_reinstall", async () => {
    const { fake, row } = await h.installed();
    fake.injected.push({ status: 401, body: { title: "Unauthorized" } }, { status: 401, body: { title: "Unauthorized" } });
    const err = await h.client(row).request("GET", "/api/v4/account", undefined, accountSchema).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmoCrmReinstallNeededError);
    expect(fake.refreshRequests()).toHaveLength(1);
    expect((await h.row(fake))!.status).toBe("needs_reinstall");
  });
});
