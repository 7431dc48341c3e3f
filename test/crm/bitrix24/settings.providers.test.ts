import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { describeProvider, type ProviderDescription } from "../../../app/api/admin/list-providers.js";
import { providers } from "../../../app/providers/index.js";
import type { Provider } from "../../../app/providers/types.js";
import { AdminHarness } from "../../api/admin/harness.js";
import { backends } from "../../support/db.js";

describe.each(await backends())("GET /api/providers (%s)", (backend) => {
  const h = new AdminHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("lists every registered provider with title, capabilities and an object JSON Schema of its credentials", async () => {
    const { token } = await h.adminPortal();
    const res = await h.call("GET", "/api/providers", token);
    expect(res.status).toBe(200);
    const list = res.body.providers as ProviderDescription[];
    expect(list.map((p) => p.name).sort()).toEqual(Object.keys(providers).sort());
    for (const p of list) {
      const registered = providers[p.name as keyof typeof providers];
      expect(p.title).toBe(registered.title);
      expect(p.capabilities).toEqual(registered.capabilities);
      expect(p.credentials).toMatchObject({ type: "object", properties: expect.any(Object) });
    }
  });

  it("Wappi's schema is the input side: required fields, the defaulted messenger enum optional", async () => {
    const { token } = await h.adminPortal();
    const list = (await h.call("GET", "/api/providers", token)).body.providers as ProviderDescription[];
    const wappi = list.find((p) => p.name === "wappi")!;
    expect(wappi.credentials).toMatchObject({
      required: ["apiToken", "profileId"],
      properties: { apiToken: { type: "string" }, messenger: { enum: ["whatsapp", "telegram"], default: "whatsapp" } },
    });
  });

  it("requires the admin bearer token", async () => {
    expect(await h.call("GET", "/api/providers")).toMatchObject({ status: 401, body: { ok: false, error: "unauthorized" } });
    expect(await h.call("GET", "/api/providers", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).toMatchObject({ status: 401 });
  });
});

describe("describeProvider", () => {
  it("does not throw on a credentials schema with a transform and a refinement", () => {
    const credentials = z
      .object({ id: z.union([z.string(), z.number().int()]).transform(String), secret: z.string().min(1) })
      .refine((v) => v.secret !== v.id, { error: "secret must differ from id" });
    const fake = { name: "fake", title: "Fake", credentials, capabilities: providers.wappi.capabilities } as unknown as Provider<unknown>;
    const described = describeProvider(fake);
    expect(described.credentials).toMatchObject({ type: "object", required: ["id", "secret"] });
  });
});
