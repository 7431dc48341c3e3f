import { Hono } from "hono";
import { type FakeServer, startFake } from "../../support/fake-server.js";

export const BIG_FILE_BYTES = 200 * 1024 * 1024;

/**
 * A file host on loopback for sendFile: a plain file, a host that refuses HEAD (answers a
 * ranged GET), a missing file, oversized files (told by HEAD or by Content-Range), and
 * redirects to a public path and to a private address. Counts the requests it served.
 */
export async function startFileServer(): Promise<FakeServer & { hits: string[] }> {
  const hits: string[] = [];
  const app = new Hono();
  const pdf = new Uint8Array(2048).fill(37);
  app.use(async (c, next) => {
    hits.push(`${c.req.method} ${c.req.path}${c.req.header("range") ? ` ${c.req.header("range")}` : ""}`);
    await next();
  });
  app.get("/files/invoice.pdf", (c) =>
    c.req.method === "HEAD"
      ? c.body(null, 200, { "content-type": "application/pdf", "content-length": String(pdf.length) })
      : c.body(pdf, 200, { "content-type": "application/pdf" }),
  );
  app.get("/files/no-head.jpg", (c) => {
    if (c.req.method === "HEAD") return c.body(null, 405);
    if (c.req.header("range") !== "bytes=0-0") return c.body(new Uint8Array(5000), 200, { "content-type": "image/jpeg" });
    return c.body(new Uint8Array(1), 206, { "content-type": "image/jpeg", "content-range": "bytes 0-0/5000" });
  });
  app.get("/files/big.mp4", (c) =>
    c.req.method === "HEAD" ? c.body(null, 200, { "content-type": "video/mp4", "content-length": String(BIG_FILE_BYTES) }) : c.body(null, 500),
  );
  app.get("/files/big-range.bin", (c) =>
    c.req.method === "HEAD" ? c.body(null, 403) : c.body(new Uint8Array(1), 206, { "content-range": `bytes 0-0/${BIG_FILE_BYTES}` }),
  );
  app.get("/files/gone.pdf", (c) => c.body("not here", 404));
  app.get("/files/moved.pdf", (c) => c.redirect("/files/invoice.pdf", 302));
  app.get("/files/to-intranet.pdf", (c) => c.redirect("http://10.0.0.5/secret.pdf", 302));
  app.get("/files/to-metadata", (c) => c.redirect("http://169.254.169.254/latest/meta-data/", 301));
  const server = await startFake(app);
  return { ...server, hits };
}

/** A loopback URL nobody listens on: connections to it are refused. */
export async function closedPortUrl(): Promise<string> {
  const server = await startFake(new Hono());
  await server.close();
  return server.url;
}
