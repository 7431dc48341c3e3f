import { Hono } from "hono";
import { retryPortalDeadJob } from "../../core/dead-job-retry.js";
import { type AdminEnv, adminAuth } from "./auth.js";

/** POST /api/jobs/:id/retry: a dead letter of the portal's messages goes back to the queue once. */
export const retryJob = new Hono<AdminEnv>().post("/api/jobs/:id/retry", adminAuth, async (c) => {
  const job = await retryPortalDeadJob(c.var.deps, c.var.admin.portalId, c.req.param("id"));
  return c.json({ ok: true as const, job: { id: job.id, kind: job.kind, status: job.status } });
});
