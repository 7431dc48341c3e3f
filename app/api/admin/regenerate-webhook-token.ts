import { Hono } from "hono";
import { regenerateWebhookToken } from "../../core/webhook-tokens.js";
import { type AdminEnv, adminAuth, channelOfRequest } from "./auth.js";
import { tokenAnswer } from "./webhook-token-answer.js";

/** POST /api/channels/:id/webhook-token: a new token; the old URL stops working at once. */
export const regenerateWebhookTokenRoute = new Hono<AdminEnv>().post("/api/channels/:id/webhook-token", adminAuth, async (c) => {
  const channel = await channelOfRequest(c);
  return c.json(tokenAnswer(await regenerateWebhookToken(c.var.deps, channel)));
});
