import { createChannel } from "../../app/core/channels.js";
import type { AppDeps } from "../../app/deps.js";
import { lineBindings } from "../../app/db/schema.js";
import { portals } from "../../app/db/schema.js";

/** A Bitrix24 portal row for tests that need a channel owner. */
export async function seedPortal(deps: AppDeps, externalId = "member-1"): Promise<string> {
  const [row] = await deps.db
    .insert(portals)
    .values({ crm: "bitrix24", externalId, domain: `${externalId}.bitrix24.ru` })
    .returning({ id: portals.id });
  return row!.id;
}

export async function seedChannel(
  deps: AppDeps,
  provider: string,
  credentials: unknown,
  opts: { bound?: boolean; messenger?: "whatsapp" | "telegram" } = {},
) {
  const portalId = await seedPortal(deps, `member-${crypto.randomUUID().slice(0, 8)}`);
  const created = await createChannel(deps.db, deps.keyring, {
    portalId,
    provider,
    name: `${provider} test`,
    credentials,
    ...(opts.messenger ? { messenger: opts.messenger } : {}),
  });
  if (opts.bound) {
    await deps.db.insert(lineBindings).values({ channelId: created.channel.id, crm: "bitrix24", lineId: "1" });
  }
  return created;
}
