import { Hono } from "hono";
import type { AppEnv } from "../../../deps.js";
import { bitrix24Robots } from "../automation/robot-route.js";
import { bitrix24Sms } from "../automation/sms-route.js";
import { bitrix24Events } from "./events.js";
import { bitrix24Install } from "./install.js";
import { bitrix24SettingsPages } from "../settings/settings-routes.js";

/** Every public /b24/* route (DESIGN.md "Public routes"); app/index.ts mounts this once. */
export const bitrix24Routes = new Hono<AppEnv>()
  .route("/", bitrix24Install)
  .route("/", bitrix24Events)
  .route("/", bitrix24Robots)
  .route("/", bitrix24Sms)
  .route("/", bitrix24SettingsPages);
