// SCAFFOLD: replaced by its owner (helper) during this session.
import { Hono } from "hono";
import type { AppEnv } from "../../../deps.js";

export const amoAutomationRoutes = new Hono<AppEnv>();
