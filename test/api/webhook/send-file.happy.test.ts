import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../../support/db.js";
import { startFileServer } from "./file-server.js";
import { json, WebhookHarness } from "./harness.js";

describe.each(await backends())("sendFile happy path (%s)", (backend) => {
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

  it("GET, form POST and JSON POST queue the same file, and the provider gets its link, name and caption", async () => {
    const { base } = await h.channel();
    const params = { phone_number: "+7 900 123 45 67", body: `${files.url}/files/invoice.pdf`, caption: "Счёт на оплату", send_to_imol: "N" };
    const bodies = [
      await json(await h.get(`${base}/sendFile`, params)),
      await json(await h.postForm(`${base}/sendFile`, params)),
      await json(await h.postJson(`${base}/sendFile`, params)),
    ];
    for (const b of bodies) expect(b).toEqual({ ok: true, message_id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: "queued" });
    // each call checked the link with a HEAD request only
    expect(files.hits.filter((hit) => hit === "HEAD /files/invoice.pdf")).toHaveLength(3);

    const before = h.sends().length;
    await h.runOutbox();
    const sent = h.sends().slice(before);
    expect(sent).toHaveLength(3);
    for (const s of sent) {
      expect(s).toEqual({
        path: "/api/sync/message/file/url/send",
        body: { recipient: "79001234567", url: `${files.url}/files/invoice.pdf`, file_name: "invoice.pdf", caption: "Счёт на оплату" },
      });
    }
    expect(h.wappi.whatsapp.violations).toEqual([]);
  });

  it("a host that refuses HEAD is checked with a one-byte ranged GET; redirects to public paths are followed", async () => {
    const { base } = await h.channel();
    const ranged = await h.get(`${base}/sendFile`, { phone_number: "79001234567", body: `${files.url}/files/no-head.jpg` });
    expect(ranged.status).toBe(200);
    expect(files.hits).toContain("GET /files/no-head.jpg bytes=0-0");
    const moved = await h.get(`${base}/sendFile`, { phone_number: "79001234567", body: `${files.url}/files/moved.pdf` });
    expect(moved.status).toBe(200);
    const before = h.sends().length;
    await h.runOutbox();
    const sent = h.sends().slice(before).map((s) => s.body);
    expect(sent).toEqual([
      { recipient: "79001234567", url: `${files.url}/files/no-head.jpg`, file_name: "no-head.jpg" },
      { recipient: "79001234567", url: `${files.url}/files/moved.pdf`, file_name: "moved.pdf" },
    ]);
  });

  it("a repeated request_id answers the first message without probing the link again", async () => {
    const { base } = await h.channel();
    const params = { phone_number: "79001234567", body: `${files.url}/files/invoice.pdf`, request_id: "invoice-42" };
    const first = await json(await h.get(`${base}/sendFile`, params));
    const probes = files.hits.length;
    const repeat = await json(await h.postJson(`${base}/sendFile`, params));
    expect(repeat).toEqual(first);
    expect(files.hits.length).toBe(probes);
  });

  it("wait=3 answers sent once the provider took the file", async () => {
    const { base } = await h.channel();
    h.autoProcess = true;
    try {
      const res = await h.postJson(`${base}/sendFile`, { phone_number: "79001234567", body: `${files.url}/files/invoice.pdf`, wait: 3 });
      expect(await json(res)).toMatchObject({ ok: true, status: "sent" });
    } finally {
      h.autoProcess = false;
      await h.settle();
    }
  });
});
