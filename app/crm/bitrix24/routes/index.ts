import { Hono } from "hono";
import type { AppEnv } from "../../../deps.js";
import { bitrix24Events } from "./events.js";
import { bitrix24Install } from "./install.js";

/** Every public /b24/* route (DESIGN.md "Public routes"); app/index.ts mounts this once. */
export const bitrix24Routes = new Hono<AppEnv>().route("/", bitrix24Install).route("/", bitrix24Events);
