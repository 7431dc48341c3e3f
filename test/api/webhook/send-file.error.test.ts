import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../../../app/db/schema.js";
import { backends } from "../../support/db.js";
import { closedPortUrl, startFileServer } from "./file-server.js";
import { json, WebhookHarness } from "./harness.js";

describe.each(await backends())("sendFile errors (%s)", (backend) => {
  const h = new WebhookHarness(backend);
  let files: Awaited<ReturnType<typeof startFileServer>>;
  beforeAll(async () => {
    await h.start();
    files = await startFileServer();
  });
  afterAll(async () => {
    await files?.close();
    await h.close();
  });

  async function expectRefused(params: Record<string, string>, status: number, error: string, field?: string) {
    const { base, channel } = await h.channel();
    const res = await h.get(`${base}/sendFile`, { phone_number: "79001234567", ...params });
    expect(res.status).toBe(status);
    const body = await json(res);
    expect(body).toMatchObject({ ok: false, error, ...(field ? { field } : {}) });
    expect(await h.t.db.select().from(messages).where(eq(messages.channelId, channel.id))).toHaveLength(0);
    return body;
  }

  it("no file link -> missing_parameter body", async () => {
    await expectRefused({}, 400, "missing_parameter", "body");
  });

  it("not a URL, or not http(s) -> invalid_parameter body", async () => {
    await expectRefused({ body: "invoice.pdf" }, 400, "invalid_parameter", "body");
    await expectRefused({ body: "ftp://example.com/invoice.pdf" }, 400, "invalid_parameter", "body");
  });

  it("a private-IP link -> invalid_parameter, and nothing is fetched", async () => {
    const body = await expectRefused({ body: "http://192.168.1.10/invoice.pdf" }, 400, "invalid_parameter", "body");
    expect(String(body.message)).toContain("private");
  });

  it("a link nobody answers -> file_unreachable", async () => {
    await expectRefused({ body: `${await closedPortUrl()}/invoice.pdf` }, 422, "file_unreachable", "body");
  });

  it("a link answering 404 -> file_unreachable", async () => {
    const body = await expectRefused({ body: `${files.url}/files/gone.pdf` }, 422, "file_unreachable", "body");
    expect(String(body.message)).toContain("404");
  });

  it("a file over 100 MB -> file_too_large, whether HEAD or Content-Range tells the size", async () => {
    await expectRefused({ body: `${files.url}/files/big.mp4` }, 422, "file_too_large", "body");
    await expectRefused({ body: `${files.url}/files/big-range.bin` }, 422, "file_too_large", "body");
  });

  it("a provider that cannot send files by link -> unsupported, before the link is fetched", async () => {
    const { base } = await h.channel({ provider: "wahelp" });
    const hits = files.hits.length;
    const res = await h.get(`${base}/sendFile`, { phone_number: "79001234567", body: `${files.url}/files/invoice.pdf` });
    expect(res.status).toBe(422);
    expect(await json(res)).toMatchObject({ ok: false, error: "unsupported" });
    expect(files.hits.length).toBe(hits);
  });

  it("a caption over 1024 characters -> invalid_parameter caption", async () => {
    await expectRefused({ body: `${files.url}/files/invoice.pdf`, caption: "x".repeat(1025) }, 400, "invalid_parameter", "caption");
  });
});
