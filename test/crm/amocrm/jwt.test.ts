import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../../../app/core/errors.js";
import { verifyBotToken, verifyWidgetToken } from "../../../app/crm/amocrm/jwt.js";
import { backends } from "../../support/db.js";
import { testConfig, testDeps } from "../../support/deps.js";
import { AmoAutomationHarness, type SeededAccount } from "./automation-harness.js";

describe.each(await backends())("amoCRM disposable JWTs (reference/amocrm.md 4.2, 4.3) (%s)", (backend) => {
  const h = new AmoAutomationHarness(backend);
  let account: SeededAccount;
  beforeAll(async () => {
    await h.start();
    account = await h.seedAccount();
  });
  afterAll(() => h.close());

  const now = () => Math.floor(h.clock.now().getTime() / 1000);
  const refusal = (p: Promise<unknown>) => expect(p).rejects.toSatisfy((e: unknown) => e instanceof AppError && e.code === "unauthorized");

  /** A token with exactly these claims and header algorithm. */
  function sign(claims: Record<string, unknown>, alg = "HS256", secret = h.amo.clientSecret): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg }).sign(new TextEncoder().encode(secret));
  }

  const widgetClaims = (over: Record<string, unknown> = {}) => ({
    iss: h.iss,
    aud: "https://bridge.example",
    jti: crypto.randomUUID(),
    iat: now(),
    nbf: now(),
    exp: now() + 1800,
    account_id: Number(account.accountId),
    user_id: 87654321,
    subdomain: "acme",
    client_uuid: h.amo.clientId,
    ...over,
  });

  it("widget token: the account, user and portal row come back for a valid one", async () => {
    const verified = await verifyWidgetToken(h.deps, await sign(widgetClaims()));
    expect(verified).toMatchObject({ accountId: account.accountId, userId: "87654321" });
    expect(verified.portal.id).toBe(account.portal.id);
  });

  it("widget token: exp is checked with a 60 s leeway, nbf and iat may not lie in the future", async () => {
    await expect(verifyWidgetToken(h.deps, await sign(widgetClaims({ exp: now() - 30 })))).resolves.toBeDefined();
    await refusal(verifyWidgetToken(h.deps, await sign(widgetClaims({ exp: now() - 90 }))));
    await refusal(verifyWidgetToken(h.deps, await sign(widgetClaims({ nbf: now() + 600 }))));
    await refusal(verifyWidgetToken(h.deps, await sign(widgetClaims({ iat: now() + 600 }))));
    const { exp: _exp, ...noExp } = widgetClaims();
    await refusal(verifyWidgetToken(h.deps, await sign(noExp)));
  });

  it("widget token: aud is our redirect URI's scheme+host (with or without its port), nothing else; HS256 only", async () => {
    await expect(verifyWidgetToken(h.deps, await sign(widgetClaims({ aud: ["https://bridge.example"] })))).resolves.toBeDefined();
    await refusal(verifyWidgetToken(h.deps, await sign(widgetClaims({ aud: "https://bridge.example.evil" }))));
    const { aud: _aud, ...noAud } = widgetClaims();
    await refusal(verifyWidgetToken(h.deps, await sign(noAud)));
    await refusal(verifyWidgetToken(h.deps, await sign(widgetClaims(), "HS512")));

    // AMOCRM_REDIRECT_URI set: its origin is the audience (the SDK's PermittedFor: scheme://host)
    const config = testConfig({
      PUBLIC_URL: "https://bridge.example",
      AMOCRM_REDIRECT_URI: "https://auth.bridge.example:8443/amocrm/oauth",
      AMOCRM_CLIENT_ID: h.amo.clientId,
      AMOCRM_CLIENT_SECRET: h.amo.clientSecret,
    });
    const deps = await testDeps(h.t.db, { config, clock: h.clock });
    await expect(verifyWidgetToken(deps, await sign(widgetClaims({ aud: "https://auth.bridge.example" })))).resolves.toBeDefined();
    await expect(verifyWidgetToken(deps, await sign(widgetClaims({ aud: "https://auth.bridge.example:8443" })))).resolves.toBeDefined();
    await refusal(verifyWidgetToken(deps, await sign(widgetClaims({ aud: "https://bridge.example" }))));
  });

  it("widget token: the issuer host must be the stored account's, client_uuid ours, ids numeric", async () => {
    await refusal(verifyWidgetToken(h.deps, await sign(widgetClaims({ iss: "https://acme.amocrm.ru" }))));
    await refusal(verifyWidgetToken(h.deps, await sign(widgetClaims({ iss: "not a url" }))));
    await refusal(verifyWidgetToken(h.deps, await sign(widgetClaims({ client_uuid: "another" }))));
    await refusal(verifyWidgetToken(h.deps, await sign(widgetClaims({ user_id: "1 or 1=1" }))));
    await refusal(verifyWidgetToken(h.deps, await sign(widgetClaims({ account_id: -5 }))));
  });

  it("bot token: HS512 (the SDK) only; a token naming a user is refused; the entity is kept as sent [U]", async () => {
    const claims = { iss: h.iss, iat: now(), nbf: now(), exp: now() + 600, account_id: Number(account.accountId), entity_type: 2, entity_id: 15926745, bot_type: "salesbot" };
    await expect(verifyBotToken(h.deps, await sign(claims, "HS512"))).resolves.toMatchObject({ accountId: account.accountId, entityType: "2", entityId: "15926745", botType: "salesbot" });
    await expect(verifyBotToken(h.deps, await sign({ ...claims, entity_type: "leads" }, "HS512"))).resolves.toMatchObject({ entityType: "leads" });
    await refusal(verifyBotToken(h.deps, await sign(claims, "HS256")));
    await refusal(verifyBotToken(h.deps, await sign({ ...claims, user_id: 7 }, "HS512")));
    await refusal(verifyBotToken(h.deps, await sign(claims, "HS384")));
    await refusal(verifyBotToken(h.deps, await sign({ ...claims, exp: now() - 120 }, "HS512")));
  });

  it("an unconfigured integration answers unavailable, not unauthorized", async () => {
    const deps = await testDeps(h.t.db, { config: testConfig({ PUBLIC_URL: "https://bridge.example" }), clock: h.clock });
    await expect(verifyWidgetToken(deps, await sign(widgetClaims()))).rejects.toSatisfy((e: unknown) => e instanceof AppError && e.code === "unavailable");
  });
});
