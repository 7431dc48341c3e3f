import { Hono } from "hono";
import type { AppEnv } from "../../../deps.js";
import { amojoHookRoutes } from "../amojo/hook-route.js";
import { amoAutomationRoutes } from "../automation/routes.js";
import { amoOAuthRoutes } from "./oauth.js";

/** amoCRM's public routes (DESIGN.md): OAuth redirect + disconnect, amojo hook, Salesbot and DP. */
export const amocrmRoutes = new Hono<AppEnv>();
amocrmRoutes.route("/", amoOAuthRoutes);
amocrmRoutes.route("/", amojoHookRoutes);
amocrmRoutes.route("/", amoAutomationRoutes);
