import { Hono } from "hono";
import { z } from "zod";
import { providers } from "../../providers/index.js";
import type { Capabilities, Provider } from "../../providers/types.js";
import { type AdminEnv, adminAuth } from "./auth.js";

/** What a settings page needs to offer a provider: no secrets, only the shape of its credentials. */
export interface ProviderDescription {
  name: string;
  title: string;
  capabilities: Capabilities;
  /** JSON Schema (draft 2020-12) of the credentials object POST /api/channels takes */
  credentials: Record<string, unknown>;
}

/**
 * The schema of what the admin types in, hence io "input": a transform's output type has no
 * JSON Schema, and a default makes a field optional for the typist. Constructs JSON Schema
 * cannot express (refinements, custom checks) become `{}` instead of throwing, so one odd
 * provider schema cannot take the whole list down; the server still validates with zod.
 */
export function describeProvider(provider: Provider<unknown>): ProviderDescription {
  const schema = z.toJSONSchema(provider.credentials, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return { name: provider.name, title: provider.title, capabilities: provider.capabilities, credentials: schema };
}

let catalog: ProviderDescription[] | undefined;

/** The registry is fixed at build time, so the conversion runs once per process (or isolate). */
export function providerCatalog(): ProviderDescription[] {
  catalog ??= Object.values(providers).map((p) => describeProvider(p as Provider<unknown>));
  return catalog;
}

/** GET /api/providers: every provider a channel can use, so the page renders forms without hard-coding them. */
export const listProviders = new Hono<AdminEnv>().get("/api/providers", adminAuth, (c) => c.json({ ok: true as const, providers: providerCatalog() }));
