import { z } from "zod";

export const channelName = z.string().trim().min(1, { error: "must not be empty" }).max(100, { error: "must be at most 100 characters" });

/** Credentials are the provider's business (its schema checks them); here only "an object". */
export const credentialsObject = z.record(z.string(), z.unknown(), { error: "must be an object" });

/**
 * Pacing overrides: a WhatsApp number sending faster than one message a second gets flagged,
 * and a channel paced slower than ten minutes is broken rather than careful.
 */
export const paceMinMs = z.number().int().min(1_000, { error: "must be at least 1000 ms" }).max(600_000, { error: "must be at most 600000 ms" }).nullable();
export const paceJitterMs = z.number().int().min(0, { error: "must not be negative" }).max(600_000, { error: "must be at most 600000 ms" }).nullable();
