import { Hono } from "hono";
import type { AppEnv } from "../../deps.js";
import { amocrmDpSecret } from "./amocrm-dp-secret.js";
import { bindChannel } from "./bind-channel.js";
import { channelPairingCode } from "./channel-pairing-code.js";
import { channelEventsRoute } from "./channel-events.js";
import { channelQr } from "./channel-qr.js";
import { channelTemplatesRoutes } from "./channel-templates.js";
import { adminCors } from "./cors.js";
import { createChannelRoute } from "./create-channel.js";
import { createSession } from "./create-session.js";
import { deleteChannel } from "./delete-channel.js";
import { getChannel } from "./get-channel.js";
import { listChannels } from "./list-channels.js";
import { listMessages } from "./list-messages.js";
import { listProviders } from "./list-providers.js";
import { portalSettings } from "./portal-settings.js";
import { regenerateWebhookTokenRoute } from "./regenerate-webhook-token.js";
import { retryJob } from "./retry-job.js";
import { sendTest } from "./send-test.js";
import { showWebhookTokenRoute } from "./show-webhook-token.js";
import { updateChannel } from "./update-channel.js";

/**
 * The admin JSON API behind both CRMs' settings pages (DESIGN.md "Admin API"). Every route
 * but /api/session checks the bearer session first and acts only on that session's portal;
 * errors go through the app's one handler, in the shared JSON shape. amoCRM account origins
 * may call it cross-origin (cors.ts: the widget runs on the account's page).
 */
export const adminApi = new Hono<AppEnv>()
  .use("/api/*", adminCors)
  .route("/", createSession)
  .route("/", listChannels)
  .route("/", createChannelRoute)
  .route("/", getChannel)
  .route("/", updateChannel)
  .route("/", deleteChannel)
  .route("/", channelQr)
  .route("/", channelEventsRoute)
  .route("/", channelPairingCode)
  .route("/", channelTemplatesRoutes)
  .route("/", bindChannel)
  .route("/", showWebhookTokenRoute)
  .route("/", regenerateWebhookTokenRoute)
  .route("/", sendTest)
  .route("/", listMessages)
  .route("/", retryJob)
  .route("/", listProviders)
  .route("/", amocrmDpSecret)
  .route("/", portalSettings);
