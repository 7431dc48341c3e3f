import { createEvolutionFake, EVOLUTION_INSTANCE, EVOLUTION_KEY, type EvolutionWorld, evolutionWorld } from "../../providers/evolution/fake.js";
import { Recorder, serveFake } from "../../providers/provider-fake.js";
import { createWahaFake, WAHA_KEY, WAHA_SESSION, WahaState } from "../../providers/waha/fake.js";
import type { FakeServer } from "../../support/fake-server.js";
import type { AdminHarness } from "./harness.js";

/**
 * A WAHA and an Evolution API fake on loopback beside an AdminHarness: the two self-hosted
 * WhatsApp providers that log in by QR or by pairing code. Each holds the one session / instance
 * `crm-1`, logged in until a test logs it out (`waitForLogin`).
 */
export class SelfHostedFakes {
  readonly waha = new Recorder();
  readonly evolution = new Recorder();
  readonly wahaState = new WahaState();
  readonly evolutionWorld: EvolutionWorld = evolutionWorld();
  private servers: FakeServer[] = [];

  async start(): Promise<this> {
    this.servers = [
      await serveFake((fake) => createWahaFake(fake, this.wahaState), this.waha),
      await serveFake((fake) => createEvolutionFake(fake, this.evolutionWorld), this.evolution),
    ];
    return this;
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.close()));
  }

  /** both logged in again, recorders emptied */
  reset(): void {
    this.waha.reset();
    this.evolution.reset();
    this.wahaState.reset();
    this.evolutionWorld.instances.clear();
    this.evolutionWorld.instances.set(EVOLUTION_INSTANCE, { state: "open" });
  }

  /** the number logged out on the provider's server: WAHA shows a QR, Evolution's instance is closed */
  waitForLogin(provider: "waha" | "evolution"): void {
    if (provider === "waha") this.wahaState.sessions.set(WAHA_SESSION, { ...this.wahaState.sessions.get(WAHA_SESSION)!, status: "SCAN_QR_CODE", me: null });
    else this.evolutionWorld.instances.set(EVOLUTION_INSTANCE, { state: "close" });
  }

  credentials(provider: "waha" | "evolution"): Record<string, string> {
    return provider === "waha"
      ? { apiUrl: this.servers[0]!.url, apiKey: WAHA_KEY, session: WAHA_SESSION }
      : { apiUrl: this.servers[1]!.url, apiKey: EVOLUTION_KEY, instanceName: EVOLUTION_INSTANCE };
  }

  /** A channel of `provider` created through the admin API (its describe and webhook calls run against the fake); returns its id. */
  async apiChannel(h: AdminHarness, token: string, provider: "waha" | "evolution", name = "WhatsApp"): Promise<string> {
    const res = await h.call("POST", "/api/channels", token, { provider, name, credentials: this.credentials(provider) });
    if (res.status !== 201) throw new Error(`channel create failed: ${JSON.stringify(res.body)}`);
    return String((res.body.channel as { id: string }).id);
  }
}
