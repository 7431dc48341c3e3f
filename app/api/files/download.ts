import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { AppError } from "../../core/errors.js";
import { verifyFileSignature } from "../../core/file-store.js";
import { files } from "../../db/schema.js";
import type { AppEnv } from "../../deps.js";

const FILE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One answer for every refusal, so a caller cannot tell a wrong id from a wrong or stale link. */
const gone = () => new AppError("not_found", "File not found or the link has expired");

/** `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / RFC 5987). */
function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, "_") || "file";
  const exact = encodeURIComponent(name).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${exact}`;
}

/**
 * GET /files/<id>/<signature>: re-hosted media for CRMs to download. The link is checked
 * before the database is asked, so forged links cost no query. The file is served as an
 * attachment with nosniff: its bytes come from outside and must never render on our origin.
 */
export const fileDownload = new Hono<AppEnv>().get("/files/:id/:signature", async (c) => {
  const { db, files: store, config, clock } = c.var.deps;
  const id = c.req.param("id");
  const now = clock.now();
  if (!FILE_ID.test(id) || !(await verifyFileSignature(id, c.req.param("signature"), now, config.ENCRYPTION_KEY))) {
    throw gone();
  }
  const [row] = await db.select().from(files).where(eq(files.id, id)).limit(1);
  if (!row || (row.expiresAt && row.expiresAt.getTime() <= now.getTime())) throw gone();
  const stored = await store.get(row.storageKey);
  if (!stored) throw gone();
  return new Response(stored.body, {
    status: 200,
    headers: {
      "Content-Type": row.mime,
      "Content-Length": String(stored.size),
      "Content-Disposition": contentDisposition(row.name),
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": "private, max-age=300",
    },
  });
});
