import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAccountHost } from "../../../app/crm/amocrm/account-host.js";
import { issueOAuthState, OAUTH_STATE_TTL_MS, verifyOAuthState } from "../../../app/crm/amocrm/oauth-state.js";
import { createKeyring, generateEncryptionKey } from "../../../app/core/secrets.js";
import { backends } from "../../support/db.js";
import { AmoHarness } from "./harness.js";

describe("amoCRM account hosts (referer, 1.3 / 6.1)", () => {
  it("security: only <sub>.amocrm.ru, <sub>.amocrm.com and <sub>.kommo.com over https are account hosts", () => {
    expect(parseAccountHost("example.amocrm.ru", false)).toEqual({ host: "example.amocrm.ru", baseUrl: "https://example.amocrm.ru", subdomain: "example", platform: "1" });
    expect(parseAccountHost("Shop-1.Kommo.com", false)).toMatchObject({ baseUrl: "https://shop-1.kommo.com", platform: "2" });
    expect(parseAccountHost("https://legacy.amocrm.com/", false)).toMatchObject({ baseUrl: "https://legacy.amocrm.com", platform: "2" });
    for (const foreign of [
      "evil.example.com",
      "amocrm.ru",
      "www.amocrm.ru",
      "example.amocrm.ru.evil.com",
      "example.amocrm.ru:8443",
      "x.amocrm.ru@evil.com",
      "evil.com/example.amocrm.ru",
      "http://example.amocrm.ru",
      "a.b.amocrm.ru",
      "-bad.amocrm.ru",
      "127.0.0.1:8080",
      "localhost:8080",
      "169.254.169.254",
      "",
    ]) {
      expect(parseAccountHost(foreign, false), foreign).toBeUndefined();
    }
  });

  it("security: loopback hosts with a port over http only when OUTBOUND_ALLOW_LOOPBACK is on (test fakes)", () => {
    expect(parseAccountHost("127.0.0.1:8080", true)).toEqual({ host: "127.0.0.1:8080", baseUrl: "http://127.0.0.1:8080", platform: "1" });
    expect(parseAccountHost("localhost:9", true)).toMatchObject({ baseUrl: "http://localhost:9" });
    expect(parseAccountHost("127.0.0.1", true)).toBeUndefined();
    expect(parseAccountHost("10.0.0.1:80", true)).toBeUndefined();
    expect(parseAccountHost("127.0.0.1:70000", true)).toBeUndefined();
    expect(parseAccountHost("https://127.0.0.1:8080", true)).toBeUndefined();
  });
});

describe("amoCRM OAuth state", () => {
  it("security: a state opens only with this deployment's key, only as a state, and only until it expires", async () => {
    const keyring = await createKeyring(generateEncryptionKey());
    const now = new Date(Date.UTC(2026, 5, 1));
    const state = await issueOAuthState(keyring, now);
    expect(await verifyOAuthState(keyring, state, now)).toBe(true);
    expect(await verifyOAuthState(keyring, state, new Date(now.getTime() + OAUTH_STATE_TTL_MS - 1000))).toBe(true);
    expect(await verifyOAuthState(keyring, state, new Date(now.getTime() + OAUTH_STATE_TTL_MS + 1000))).toBe(false);
    const otherDeployment = await createKeyring(generateEncryptionKey());
    expect(await verifyOAuthState(otherDeployment, state, now)).toBe(false);
    // a ciphertext of the same keyring made for anything else (a token) is not a state
    expect(await verifyOAuthState(keyring, await keyring.encrypt('{"p":"amocrm-oauth","exp":99999999999,"n":"aaaaaaaaaaaaaaaaaaaa"}', "amocrm:1:access"), now)).toBe(false);
    const tampered = state.slice(0, -4) + (state.endsWith("AAAA") ? "BBBB" : "AAAA");
    expect(await verifyOAuthState(keyring, tampered, now)).toBe(false);
    expect(await verifyOAuthState(keyring, "x".repeat(2000), now)).toBe(false);
  });
});

describe.each(await backends())("amoCRM OAuth redirect, forged callers (%s)", (backend) => {
  const h = new AmoHarness(backend);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  it("security: without state and without from_widget the redirect is 401 and the code is never exchanged", async () => {
    const fake = await h.account();
    const res = await h.redirect({ code: fake.issueCode(), referer: fake.host });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ ok: false, error: "unauthorized" });
    expect(fake.calls).toHaveLength(0);
  });

  it("security: a forged, tampered or expired state is 401 even with from_widget, nothing stored", async () => {
    const fake = await h.account();
    const state = await h.issuedState();
    for (const bad of ["abc", `${state}x`, state.replace(/\.[^.]+$/, ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]) {
      const res = await h.redirect({ code: fake.issueCode(), referer: fake.host, state: bad, from_widget: "1" });
      expect(res.status, bad).toBe(401);
    }
    h.clock.advance(OAUTH_STATE_TTL_MS + 60_000);
    const expired = await h.redirect({ code: fake.issueCode(), referer: fake.host, state });
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ error: "unauthorized", message: expect.stringContaining("expired") });
    expect(fake.calls).toHaveLength(0);
    expect(await h.row(fake)).toBeUndefined();
  });

  it("security: a referer that is not an amoCRM account host is 400 and client_secret goes nowhere", async () => {
    const fake = await h.account();
    const attacker = await h.account();
    const state = await h.issuedState();
    for (const referer of ["evil.example.com", `${attacker.host}.evil.com`, "www.amocrm.ru", "example.amocrm.ru.evil.com", `user@${fake.host}`]) {
      const res = await h.redirect({ code: fake.issueCode(), referer, state });
      expect(res.status, referer).toBe(400);
      expect(await res.json()).toMatchObject({ error: "invalid_parameter", field: "referer" });
    }
    // with loopback not allowed (production), a loopback referer is as foreign as any
    const production = await h.appWith({ OUTBOUND_ALLOW_LOOPBACK: "false" });
    const res = await production.app.request(`/amocrm/oauth?${new URLSearchParams({ code: fake.issueCode(), referer: fake.host, from_widget: "1" })}`);
    expect(res.status).toBe(400);
    expect(fake.tokenRequests).toHaveLength(0);
    expect(attacker.tokenRequests).toHaveLength(0);
  });
});
