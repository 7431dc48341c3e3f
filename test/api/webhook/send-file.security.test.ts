import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../../support/db.js";
import { startFileServer } from "./file-server.js";
import { json, WebhookHarness } from "./harness.js";

describe.each(await backends())("sendFile security (%s)", (backend) => {
  let files: Awaited<ReturnType<typeof startFileServer>>;
  beforeAll(async () => {
    files = await startFileServer();
  });
  afterAll(() => files?.close());

  describe("with loopback allowed for the fakes", () => {
    const h = new WebhookHarness(backend);
    beforeAll(() => h.start());
    afterAll(() => h.close());

    it.each([
      "http://10.0.0.1/a.pdf",
      "http://169.254.169.254/latest/meta-data/",
      "http://[fd00::1]/a.pdf",
      "http://0x0a000001/a.pdf",
      "http://intranet/a.pdf",
      "http://user:pass@example.com/a.pdf",
    ])("%s -> invalid_parameter without a request", async (url) => {
      const { base } = await h.channel();
      const res = await h.get(`${base}/sendFile`, { phone_number: "79001234567", body: url });
      expect(res.status).toBe(400);
      expect(await json(res)).toMatchObject({ ok: false, error: "invalid_parameter", field: "body" });
    });

    it("a public link redirecting to a private address is refused before the redirect is followed", async () => {
      const { base } = await h.channel();
      for (const path of ["/files/to-intranet.pdf", "/files/to-metadata"]) {
        const res = await h.get(`${base}/sendFile`, { phone_number: "79001234567", body: `${files.url}${path}` });
        expect(res.status).toBe(400);
        expect(await json(res)).toMatchObject({ ok: false, error: "invalid_parameter", field: "body" });
      }
    });

    it("a wrong token is refused before the link is touched", async () => {
      const hits = files.hits.length;
      const res = await h.get("/rest/webhook/wa/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/sendFile", {
        phone_number: "79001234567",
        body: `${files.url}/files/invoice.pdf`,
      });
      expect(await json(res)).toMatchObject({ error: "invalid_token" });
      expect(files.hits.length).toBe(hits);
    });
  });

  describe("in production (OUTBOUND_ALLOW_LOOPBACK off)", () => {
    const h = new WebhookHarness(backend);
    beforeAll(() => h.start({ OUTBOUND_ALLOW_LOOPBACK: "false" }));
    afterAll(() => h.close());

    it("a loopback link -> invalid_parameter", async () => {
      const { base } = await h.channel();
      const hits = files.hits.length;
      for (const url of [`${files.url}/files/invoice.pdf`, "http://localhost/a.pdf", "http://[::1]/a.pdf"]) {
        const res = await h.get(`${base}/sendFile`, { phone_number: "79001234567", body: url });
        expect(res.status).toBe(400);
        expect(await json(res)).toMatchObject({ error: "invalid_parameter", field: "body" });
      }
      expect(files.hits.length).toBe(hits);
    });
  });
});
