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

/** Fallback channels, in order: ids of the same portal's channels (checked in core/channel-group.ts). */
export const fallbackIds = z.array(z.uuid({ error: "must be channel ids" }), { error: "must be a list of channel ids" }).max(5, { error: "at most 5 fallback channels" });

/** A daily cap: a positive count, or null for none. */
export const dailyCap = z.number().int().min(1, { error: "must be at least 1, or null for no cap" }).max(1_000_000, { error: "must be at most 1000000" }).nullable();

export const capOverflow = z.enum(["wait", "fallback"], { error: "must be wait or fallback" });
