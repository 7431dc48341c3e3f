// SCAFFOLD: replaced by its owner (helper) during this session.
import { Hono } from "hono";
import type { AppEnv } from "../../../deps.js";

export const amoOAuthRoutes = new Hono<AppEnv>();
