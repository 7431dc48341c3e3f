import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendRestCall } from "../../../app/crm/bitrix24/client.js";
import { type FakeServer, startFake } from "../../support/fake-server.js";

describe("Bitrix24 REST calls, security", () => {
  let internal: FakeServer;
  let portal: FakeServer;
  const reached: string[] = [];
  beforeAll(async () => {
    internal = await startFake(
      new Hono().all("*", async (c) => {
        reached.push(`${c.req.method} ${c.req.path} ${await c.req.text()}`);
        return c.json({ result: "internal secrets" });
      }),
    );
    portal = await startFake(new Hono().all("*", (c) => c.redirect(`${internal.url}/internal-admin`, 307)));
  });
  afterAll(async () => {
    await portal?.close();
    await internal?.close();
  });

  it("security: a portal answering with a redirect is not followed, so our token never reaches the other host", async () => {
    const answer = await sendRestCall(globalThis.fetch, `${portal.url}/rest/app.info.json`, { auth: "ACCESS-TOKEN" });
    expect(answer).toMatchObject({ ok: false, status: 307, error: "http_307" });
    expect(reached).toEqual([]);
  });
});
