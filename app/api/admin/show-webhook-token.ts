import { Hono } from "hono";
import { AppError } from "../../core/errors.js";
import { showWebhookToken } from "../../core/webhook-tokens.js";
import { type AdminEnv, adminAuth, channelOfRequest } from "./auth.js";
import { tokenAnswer } from "./webhook-token-answer.js";

/** GET /api/channels/:id/webhook-token: the channel's active webhook API token and base URL. */
export const showWebhookTokenRoute = new Hono<AdminEnv>().get("/api/channels/:id/webhook-token", adminAuth, async (c) => {
  const channel = await channelOfRequest(c);
  const token = await showWebhookToken(c.var.deps, channel);
  if (!token) throw new AppError("not_found", "the channel has no webhook token: regenerate one");
  return c.json(tokenAnswer(token));
});
