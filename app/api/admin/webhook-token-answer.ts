import type { IssuedWebhookToken } from "../../core/webhook-tokens.js";

export function tokenAnswer(token: IssuedWebhookToken) {
  return { ok: true as const, token: token.token, kind: token.kind, url: token.url, created_at: token.createdAt.toISOString() };
}
