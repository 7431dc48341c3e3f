import { Hono } from "hono";
import type { AppEnv } from "../../../deps.js";
import { dpRoute } from "./dp-route.js";
import { salesbotRoute } from "./salesbot-route.js";

/** amoCRM automation (DESIGN.md public routes): the Salesbot `widget_request` and the widget's Digital Pipeline action. */
export const amoAutomationRoutes = new Hono<AppEnv>().route("/", salesbotRoute).route("/", dpRoute);
