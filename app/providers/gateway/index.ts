import { z } from "zod";
import { type Provider, ProviderPermanentError } from "../types.js";

export const gatewayCredentials = z.object({
  /** shown to admins only: which phone this is */
  device: z.string().max(100).optional(),
  /** how long the phone has to report a result before the message is offered again */
  leaseSeconds: z.number().int().min(10).max(3600).default(120),
  /** hand-outs before a message the phone never reports on is marked failed */
  maxAttempts: z.number().int().min(1).max(20).default(5),
});
export type GatewayCredentials = z.output<typeof gatewayCredentials>;

const pulled = (what: string) =>
  new ProviderPermanentError("unsupported", `the phone gateway has no ${what}: the phone fetches its work from /gateway/<token>/next`);

/**
 * The self-hosted Android phone gateway (seed 002, our own protocol, docs/phone-gateway.md).
 * The phone pulls queued messages and pushes results and incoming notifications through
 * app/api/gateway; nothing is pushed to it, so the send path never calls `send`, and the
 * channel's state comes from heartbeats (core/gateway.ts).
 */
export const gateway: Provider<GatewayCredentials> = {
  name: "gateway",
  title: "Android phone gateway",
  credentials: gatewayCredentials,
  capabilities: {
    text: true,
    fileByUrl: true,
    fileUpload: false,
    checkPhone: false,
    qrLogin: false,
    deliveryStatus: true,
    readStatus: false,
    messengers: ["whatsapp", "telegram"],
    inbound: "gateway",
  },
  // a phone automation app types into the messenger: keep sends well apart
  pacing: { minIntervalMs: 8_000, jitterMs: 7_000 },
  async send() {
    throw pulled("push sending");
  },
  async checkPhone() {
    throw pulled("number check");
  },
  async status() {
    return { state: "unknown", detail: "derived from the phone's heartbeats" };
  },
  async parseWebhook() {
    throw pulled("webhooks");
  },
};
