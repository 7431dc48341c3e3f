import { type Context, Hono } from "hono";
import { z } from "zod";
import { type Channel, findChannelByHookSecret } from "../../core/channels.js";
import { AppError } from "../../core/errors.js";
import { gatewayHeartbeat, gatewayIncoming, gatewayNext, gatewayResult } from "../../core/gateway.js";
import { peerFromKey } from "../../core/peer.js";
import type { AppEnv } from "../../deps.js";
import { paramsBodyLimit, parseParams, readParams as readRawParams } from "../webhook/params.js";

/**
 * The Android phone gateway's side of the protocol (docs/phone-gateway.md). Every endpoint takes
 * GET query parameters or a POST form/JSON body, because phone automation apps (Automagic,
 * Tasker, MacroDroid) make either easily. The path token is the channel's gateway secret.
 */
/** Phones post the same way integrators do: the webhook API's reader (query, form, JSON, multipart). */
async function readParams<S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<z.output<S>> {
  return parseParams(schema, await readRawParams(c));
}

async function phoneChannel(c: Context<AppEnv>): Promise<Channel> {
  const channel = await findChannelByHookSecret(c.var.deps.db, "gateway", c.req.param("token") ?? "");
  if (!channel) throw new AppError("invalid_token", "unknown gateway token");
  return channel;
}

const resultParams = z.object({
  id: z.uuid({ error: "must be the id given by next" }),
  status: z.enum(["sent", "delivered", "read", "failed"], { error: "must be sent, delivered, read or failed" }),
  reason: z.string().max(500).optional(),
});

const timeParam = z
  .union([z.coerce.number().int().positive(), z.iso.datetime({ offset: true })])
  .transform((v) => (typeof v === "number" ? new Date(v < 1e12 ? v * 1000 : v) : new Date(v)));

const incomingParams = z.object({
  from: z.string().trim().min(1).max(200),
  text: z.string().min(1).max(10_000),
  name: z.string().trim().max(200).optional(),
  time: timeParam.optional(),
  id: z.string().trim().min(1).max(200).optional(),
});

const yes = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => ["true", "1", "yes"].includes(v));
const heartbeatParams = z.object({
  battery: z.coerce.number().min(0).max(100).optional(),
  charging: yes.optional(),
  app_version: z.string().max(100).optional(),
});

async function next(c: Context<AppEnv>) {
  const channel = await phoneChannel(c);
  const result = await gatewayNext(c.var.deps, channel);
  if (result.kind === "wait") {
    c.header("Retry-After", String(Math.ceil(result.retryAfterMs / 1000)));
    return c.body(null, 204);
  }
  if (result.kind === "none") return c.body(null, 204);
  const { message } = result;
  const peer = peerFromKey(message.peer);
  return c.json({
    ok: true,
    id: message.id,
    phone: peer.phone ?? null,
    chat_id: peer.chatId ?? null,
    text: message.body ?? "",
    file: message.file ?? null,
    attempt: result.attempt,
    lease_until: result.leaseUntil.toISOString(),
  });
}

async function result(c: Context<AppEnv>) {
  const channel = await phoneChannel(c);
  const params = await readParams(c, resultParams);
  const message = await gatewayResult(c.var.deps, channel, {
    id: params.id,
    status: params.status,
    ...(params.reason ? { reason: params.reason } : {}),
  });
  if (!message) throw new AppError("not_found", "no such message on this channel");
  return c.json({ ok: true, id: message.id, status: message.status });
}

async function incoming(c: Context<AppEnv>) {
  const channel = await phoneChannel(c);
  const params = await readParams(c, incomingParams);
  const stored = await gatewayIncoming(c.var.deps, channel, {
    from: params.from,
    text: params.text,
    at: params.time ?? c.var.deps.clock.now(),
    ...(params.name ? { name: params.name } : {}),
    ...(params.id ? { id: params.id } : {}),
  });
  return c.json({ ok: true, duplicate: stored.duplicates > 0 });
}

async function heartbeat(c: Context<AppEnv>) {
  const channel = await phoneChannel(c);
  const params = await readParams(c, heartbeatParams);
  await gatewayHeartbeat(c.var.deps, channel, {
    ...(params.battery !== undefined ? { battery: params.battery } : {}),
    ...(params.charging !== undefined ? { charging: params.charging } : {}),
    ...(params.app_version ? { appVersion: params.app_version } : {}),
  });
  return c.json({ ok: true });
}

export const phoneGateway = new Hono<AppEnv>()
  .use("/gateway/*", paramsBodyLimit)
  .on(["GET", "POST"], "/gateway/:token/next", next)
  .on(["GET", "POST"], "/gateway/:token/result", result)
  .on(["GET", "POST"], "/gateway/:token/incoming", incoming)
  .on(["GET", "POST"], "/gateway/:token/heartbeat", heartbeat);
