import { afterAll, beforeAll, beforeEach, expect } from "vitest";
import { evolution } from "../../../app/providers/evolution/index.js";
import type { ProviderPermanentError } from "../../../app/providers/types.js";
import type { FakeServer } from "../../support/fake-server.js";
import { providerContext, Recorder, serveFake } from "../provider-fake.js";
import { createEvolutionFake, EVOLUTION_INSTANCE, EVOLUTION_KEY, evolutionWorld } from "./fake.js";

/**
 * The Evolution fake on a loopback port for a test file: a fresh world (the channel's instance,
 * open) and an empty recorder before each test, credentials and contexts pointing at it.
 */
export function evolutionHarness() {
  const recorder = new Recorder();
  const world = evolutionWorld();
  let server: FakeServer | undefined;
  beforeAll(async () => {
    server = await serveFake((fake) => createEvolutionFake(fake, world), recorder);
  });
  afterAll(() => server?.close());
  beforeEach(() => {
    recorder.reset();
    world.instances.clear();
    world.instances.set(EVOLUTION_INSTANCE, { state: "open" });
  });
  const credentials = (extra: Record<string, unknown> = {}) => ({
    apiUrl: server?.url ?? "http://127.0.0.1:1",
    apiKey: EVOLUTION_KEY,
    instanceName: EVOLUTION_INSTANCE,
    ...extra,
  });
  return {
    recorder,
    world,
    credentials,
    ctx: (extra: Record<string, unknown> = {}) => providerContext(evolution, { credentials: credentials(extra), messenger: "whatsapp" }),
    /** `METHOD /path?query` of every request the fake got */
    calls: () => recorder.requests.map((r) => `${r.method} ${r.path}${r.query.size ? `?${r.query}` : ""}`),
    bodies: () => recorder.requests.map((r) => (r.body ? (JSON.parse(r.body) as unknown) : null)),
    clean: () => expect(recorder.violations).toEqual([]),
  };
}

/** The error a call failed with; a call that succeeds fails the test. */
export function failure(p: Promise<unknown>): Promise<ProviderPermanentError> {
  return p.then(
    () => Promise.reject(new Error("expected a failure")),
    (e: unknown) => e as ProviderPermanentError,
  );
}
