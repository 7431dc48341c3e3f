import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { utf8 } from "../../../core/encoding.js";
import { AppError, errorResponse } from "../../../core/errors.js";
import { storeQuarantinedHook } from "../../../core/quarantine.js";
import type { AppDeps, AppEnv } from "../../../deps.js";
import { amojoChannelOfScope } from "./channel-config.js";
import { amojoHookSchema } from "./hook-payload.js";
import { queueHookRefusal } from "./hook-refused.js";
import { receiveAmojoHook } from "./hook-inbound.js";
import { isScopeId } from "./scope.js";
import { verifyHookSignature } from "./sign.js";

/** A manager's message is a few KB of JSON (media come as links); anything far larger is not a hook. */
const MAX_HOOK_BYTES = 64 * 1024;

const hookBodyLimit = bodyLimit({
  maxSize: MAX_HOOK_BYTES,
  onError: (c) => errorResponse(c, new AppError("invalid_body", `the hook body is larger than ${MAX_HOOK_BYTES / 1024} KB`), c.get("requestId")),
});

/**
 * Authenticated hooks we cannot place or parse: answered 200 (amojo sends each hook once and
 * never retries, 6.2 pitfall 7, so an error would change nothing) but kept where an admin can
 * see them, like provider webhooks (api/hooks/receive.ts).
 */
async function quarantine(deps: AppDeps, body: string, contentType: string | undefined, error: string, channelId?: string): Promise<void> {
  await storeQuarantinedHook(deps.db, { channelId: channelId ?? null, provider: "amojo", contentType: contentType ?? null, body, error });
  deps.logger.warn("amocrm: amojo hook quarantined", { error, ...(channelId ? { channel: channelId } : {}) });
}

/**
 * POST /amocrm/amojo/:scope_id: amojo's outgoing-message hook, v2 (2.7). The signature over the
 * raw body is checked before anything is parsed (a forged or foreign call gets 401 and leaves
 * nothing behind); the message is then queued through the one data path and the answer is a
 * fast 200. A message that cannot be placed or sent is kept in quarantine and reported to
 * amoCRM as not delivered (hook-refused.ts). Typing and reaction hooks are acknowledged and ignored.
 */
export const amojoHookRoutes = new Hono<AppEnv>().post("/amocrm/amojo/:scope_id", hookBodyLimit, async (c) => {
  const deps = c.var.deps;
  const channel = amojoChannelOfScope(deps.config, c.req.param("scope_id"));
  if (!channel) throw new AppError("unavailable", "the amoCRM chat channel is not configured on this server");
  const raw = new Uint8Array(await c.req.arrayBuffer());
  if (!(await verifyHookSignature(channel.secret, raw, c.req.header("x-signature")))) {
    throw new AppError("unauthorized", "X-Signature does not match the body");
  }
  const scopeId = c.req.param("scope_id");
  const text = utf8.decode(raw);
  const contentType = c.req.header("content-type");
  if (!isScopeId(scopeId)) {
    await quarantine(deps, text, contentType, `malformed scope id in the hook URL: ${scopeId.slice(0, 100)}`);
    return c.json({ ok: true as const, quarantined: true });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    await quarantine(deps, text, contentType, "the hook body is not JSON");
    return c.json({ ok: true as const, quarantined: true });
  }
  const parsed = amojoHookSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    await quarantine(deps, text, contentType, `unexpected hook shape: ${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"}`);
    return c.json({ ok: true as const, quarantined: true });
  }
  const outcome = await receiveAmojoHook(deps, scopeId, parsed.data);
  if (outcome.kind === "unplaced") {
    await quarantine(deps, text, contentType, `scope ${scopeId}: ${outcome.reason}`, outcome.channelId);
    const m = parsed.data.message;
    if (m) await queueHookRefusal(deps, { amojoId: parsed.data.account_id, scopeId, amojoMessageId: m.message.id, reason: outcome.reason.slice(0, 200) });
    return c.json({ ok: true as const, quarantined: true });
  }
  if (outcome.kind === "ignored") return c.json({ ok: true as const, ignored: outcome.reason });
  return c.json({ ok: true as const });
});
