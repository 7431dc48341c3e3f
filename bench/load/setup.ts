import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Keyring } from "../../app/core/secrets.js";
import { tokenContext } from "../../app/crm/bitrix24/portal-auth.js";
import type { Db } from "../../app/db/index.js";
import { channels, portals } from "../../app/db/schema.js";
import { BENCH_WAPPI_PROFILE, BENCH_WAPPI_TOKEN } from "./fake-provider.js";

export interface BenchChannel {
  id: string;
  /** the public webhook API token: /rest/webhook/wa/<token>/<method> */
  token: string;
  /** the provider webhook path: /hooks/wappi/<secret> */
  hookPath: string;
}

async function call<T extends z.ZodType>(baseUrl: string, method: string, path: string, schema: T, body?: unknown, bearer?: string): Promise<z.output<T>> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${method} ${path}: unexpected answer ${text.slice(0, 300)}`);
  return parsed.data;
}

/**
 * The Bitrix24 portal row, written straight into the database: the install flow would need the
 * OAuth server's code exchange (reference/bitrix24.md 1.2), which the bench does not measure.
 * Tokens are encrypted with the server's key exactly as install.ts stores them, and expire far
 * in the future so no refresh is attempted during the run.
 */
export async function insertPortal(db: Db, keyring: Keyring, portal: { memberId: string; host: string; url: string }): Promise<string> {
  const { memberId } = portal;
  const [row] = await db
    .insert(portals)
    .values({
      crm: "bitrix24",
      externalId: memberId,
      domain: portal.host,
      accessTokenEnc: await keyring.encrypt("benchaccesstoken0001", tokenContext(memberId, "access")),
      refreshTokenEnc: await keyring.encrypt("benchrefreshtoken0001", tokenContext(memberId, "refresh")),
      applicationTokenEnc: await keyring.encrypt("benchapplicationtoken0001", tokenContext(memberId, "application")),
      tokenExpiresAt: new Date(Date.now() + 30 * 24 * 3600_000),
      serverEndpoint: "https://oauth.bitrix.info/rest/",
      status: "active",
      settings: { clientEndpoint: `${portal.url}/rest/`, scope: "crm,imopenlines,imconnector,bizproc,messageservice,placement" },
    })
    .returning({ id: portals.id });
  return row!.id;
}

/** POST /api/session as the portal's admin (the fake portal's `profile` says ADMIN): the bearer token. */
export async function openAdminSession(serverUrl: string, portal: { memberId: string; host: string }): Promise<string> {
  const answer = await call(
    serverUrl,
    "POST",
    "/api/session",
    z.object({ ok: z.literal(true), token: z.string().min(1) }),
    { DOMAIN: portal.host, member_id: portal.memberId, AUTH_ID: "benchadminauth0001" },
  );
  return answer.token;
}

const channelAnswer = z.object({
  ok: z.literal(true),
  channel: z.object({ id: z.string(), webhook_url: z.string().nullable(), hook_url: z.string().nullable() }),
});

/**
 * `count` Wappi channels through the admin API (create, then bind to Open Line i+1), `parallel`
 * at a time. Each gets its webhook API token and provider hook URL from the create answer.
 */
export async function createChannels(
  serverUrl: string,
  session: string,
  providerUrl: string,
  count: number,
  parallel = 12,
): Promise<BenchChannel[]> {
  const out: BenchChannel[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const created = await call(serverUrl, "POST", "/api/channels", channelAnswer, {
        provider: "wappi",
        name: `bench ${i + 1}`,
        credentials: { apiToken: BENCH_WAPPI_TOKEN, profileId: BENCH_WAPPI_PROFILE, apiUrl: providerUrl },
      }, session);
      const token = /\/rest\/webhook\/wa\/([^/?#]+)/.exec(created.channel.webhook_url ?? "")?.[1];
      const hookPath = /\/hooks\/wappi\/[^/?#]+/.exec(created.channel.hook_url ?? "")?.[0];
      if (!token || !hookPath) throw new Error(`channel ${created.channel.id} has no webhook token or hook URL: ${JSON.stringify(created.channel)}`);
      await call(serverUrl, "POST", `/api/channels/${created.channel.id}/bind`, z.object({ ok: z.literal(true) }), { line: String(i + 1) }, session);
      out[i] = { id: created.channel.id, token, hookPath };
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return out;
}

/**
 * Per-channel pacing off. There is no environment switch for it, and the admin API accepts
 * 1000 ms at the least (app/api/admin/channel-input.ts), which would cap every channel at one
 * send a second: the bench sets the channels' own override to 0 in the database before any
 * message exists. Jobs of one channel still go one at a time (the pace slot), without waiting.
 */
export async function pacingOff(db: Db, portalId: string): Promise<void> {
  await db.update(channels).set({ paceMinMs: 0, paceJitterMs: 0 }).where(eq(channels.portalId, portalId));
}
