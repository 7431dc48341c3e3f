import { describe, expect, it } from "vitest";
import { createApp } from "../../../app/index.js";
import { openTestDb } from "../../support/db.js";
import { testDeps } from "../../support/deps.js";

describe("unknown routes", () => {
  it("security: a 404 never echoes a token from the path", async () => {
    const t = await openTestDb("pglite");
    try {
      const app = createApp(await testDeps(t.db));
      const token = "Vt3qZ8yH2kLmN4pQ7rS9tU1wX5zA";
      const res = await app.request(`/rest/webhook/wa/${token}/sendText`, { method: "PUT" });
      expect(res.status).toBe(404);
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error).toBe("not_found");
      expect(body.message).toBe("No route for PUT /rest/webhook/wa/***/sendText");
    } finally {
      await t.close();
    }
  });
});
