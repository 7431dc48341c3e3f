import type { z } from "zod";
import { type ChannelState, ProviderPermanentError, ProviderRetryableError } from "../types.js";
import { type Ctx, evolutionCall, instancePath } from "./client.js";
import {
  connectAnswerSchema,
  connectionStateAnswerSchema,
  createInstanceAnswerSchema,
  fetchInstancesAnswerSchema,
  logoutAnswerSchema,
} from "./schema.js";
import { channelStateOf } from "./webhook.js";

/** Evolution starts a login round and answers after 2 s, often before the first QR exists: ask again this much later. */
const LOGIN_RETRY_MS = 3_000;

/** A 404 for the channel's instance: refineEvolutionError turns it into not_connected. */
function instanceMissing(err: unknown): boolean {
  return err instanceof ProviderPermanentError && err.code === "not_connected";
}

/**
 * `POST /instance/create` for a QR-login (Baileys) instance. `qrcode:false`: the QR is asked for
 * by qr() when the admin opens it, so creating does not start a login nobody looks at (with
 * `qrcode:true` the call also waits 5 s for the first QR). Needs the global API key; a name taken
 * meanwhile answers 403, which here means "it exists now", not a refused key.
 */
async function createInstance(ctx: Ctx): Promise<{ state: ChannelState; created: boolean }> {
  let taken = false;
  try {
    const answer = await evolutionCall(
      ctx,
      "instance/create",
      createInstanceAnswerSchema,
      { method: "POST", body: { instanceName: ctx.credentials.instanceName, integration: "WHATSAPP-BAILEYS", qrcode: false } },
      (status) => {
        if (status !== 403) return undefined;
        taken = true;
        return new ProviderPermanentError("rejected", "instance name already in use");
      },
    );
    return { state: channelStateOf(answer.instance.status), created: true };
  } catch (err) {
    if (!taken) throw err;
    return { state: await liveState(ctx), created: false };
  }
}

async function liveState(ctx: Ctx): Promise<ChannelState> {
  const answer = await evolutionCall(ctx, instancePath(ctx, "instance/connectionState"), connectionStateAnswerSchema);
  return channelStateOf(answer.instance.state);
}

/** `GET /instance/connectionState/{instance}`; an instance deleted on the server needs creating and a new login. */
export async function instanceStatus(ctx: Ctx): Promise<{ state: ChannelState; detail?: string }> {
  try {
    const answer = await evolutionCall(ctx, instancePath(ctx, "instance/connectionState"), connectionStateAnswerSchema);
    const state = answer.instance.state;
    return { state: channelStateOf(state), detail: state ?? "not loaded on the server" };
  } catch (err) {
    if (err instanceof ProviderPermanentError && err.code === "invalid_credentials") {
      return { state: "unauthorized", detail: "the Evolution API server refused the API key" };
    }
    if (instanceMissing(err)) return { state: "qr_required", detail: "the instance does not exist on the server: open the QR code to create it" };
    throw err;
  }
}

/**
 * Checks the server and the key, and creates the channel's instance when the server has none by
 * that name, else reuses it (its login survives). `GET /instance/fetchInstances?instanceName=`
 * answers 404 for a missing name with the global key, 401 with a key that does not fit.
 */
export async function describeInstance(ctx: Ctx): Promise<{ state: ChannelState; info: Record<string, string> }> {
  const name = ctx.credentials.instanceName;
  let rows: z.output<typeof fetchInstancesAnswerSchema>;
  try {
    rows = await evolutionCall(ctx, "instance/fetchInstances", fetchInstancesAnswerSchema, { query: { instanceName: name } });
  } catch (err) {
    if (!instanceMissing(err)) throw err;
    rows = [];
  }
  const row = rows.find((r) => r.name === name);
  if (!row) {
    const { state, created } = await createInstance(ctx);
    return { state, info: { instance: name, instance_created: created ? "yes" : "no", state } };
  }
  const state = await liveState(ctx);
  const number = /^(\d+)/.exec(row.ownerJid ?? row.number ?? "")?.[1];
  return {
    state,
    info: {
      instance: name,
      instance_created: "no",
      state,
      ...(number ? { number } : {}),
      ...(row.profileName ? { profile_name: row.profileName } : {}),
    },
  };
}

/** the QR or the state object; the `{error:true}` answer is thrown by connect() */
type ConnectAnswer = Exclude<z.output<typeof connectAnswerSchema>, { error: true }>;

async function connect(ctx: Ctx, phone?: string): Promise<ConnectAnswer> {
  const answer = await evolutionCall(ctx, instancePath(ctx, "instance/connect"), connectAnswerSchema, phone ? { query: { number: phone } } : {});
  if ("error" in answer) throw new ProviderRetryableError("not_connected", `Evolution API could not start the login: ${answer.message.slice(0, 200)}`);
  return answer;
}

/** Connects, creating the instance first if the server lost it (deleted by hand, or never created). */
async function connectOrCreate(ctx: Ctx, phone?: string): Promise<ConnectAnswer> {
  try {
    return await connect(ctx, phone);
  } catch (err) {
    if (!instanceMissing(err)) throw err;
    await createInstance(ctx);
    return connect(ctx, phone);
  }
}

function asDataUrl(base64: string): string {
  // Evolution already gives `data:image/png;base64,…` (qrcode.toDataURL); a bare payload is PNG too
  return base64.startsWith("data:") ? base64 : `data:image/png;base64,${base64}`;
}

/**
 * `GET /instance/connect/{instance}`: the QR while the instance waits for a login, null once it
 * is open. The QR rotates and Evolution stops after QRCODE_LIMIT codes (`state: refused`); each
 * call starts a new round when the instance is closed, so callers just poll.
 */
export async function instanceQr(ctx: Ctx): Promise<{ dataUrl: string } | null> {
  const connected = await connectOrCreate(ctx);
  if ("instance" in connected && connected.instance.state === "open") return null;
  const answer = "instance" in connected ? (connected.qrcode ?? {}) : connected;
  if (!answer.base64) throw new ProviderRetryableError("not_connected", "Evolution API has no QR code yet: try again in a few seconds", LOGIN_RETRY_MS);
  return { dataUrl: asDataUrl(answer.base64) };
}

export interface PairingCode {
  /** the 8 characters the owner types in WhatsApp > Linked devices > Link with phone number */
  pairingCode: string;
  /** the QR of the same round, for admins who prefer scanning */
  qrDataUrl?: string;
}

/**
 * Pairing-code login (channels-next.md 4 "QR / pairing"): `GET /instance/connect/{instance}?number=`
 * gives `pairingCode` beside the QR. Evolution asks WhatsApp for one only when a connection
 * starts with the number (instance.controller.ts: a `connecting` instance just returns its
 * current QR), so an instance already showing a QR without a code is logged out first, which
 * ends that login round; it has no session to lose. Null when the instance is already logged in.
 * The code is requested asynchronously on the server: when it is not there yet the error is
 * retryable and the caller asks again.
 */
export async function requestPairingCode(ctx: Ctx, phone: string): Promise<PairingCode | null> {
  const digits = phone.replace(/\D/g, "");
  if (!/^\d{10,15}$/.test(digits)) throw new ProviderPermanentError("bad_number", `not a phone number: ${phone}`);
  let answer = await connectOrCreate(ctx, digits);
  if (!("instance" in answer) && !answer.pairingCode && answer.base64) {
    await evolutionCall(ctx, instancePath(ctx, "instance/logout"), logoutAnswerSchema, { method: "DELETE" });
    answer = await connect(ctx, digits);
  }
  if ("instance" in answer) {
    if (answer.instance.state === "open") return null;
    answer = answer.qrcode ?? {};
  }
  if (!answer.pairingCode) {
    throw new ProviderRetryableError("not_connected", "WhatsApp has not given a pairing code yet: ask again in a few seconds", LOGIN_RETRY_MS);
  }
  return { pairingCode: answer.pairingCode, ...(answer.base64 ? { qrDataUrl: asDataUrl(answer.base64) } : {}) };
}
