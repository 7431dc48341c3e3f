import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createLogger, type Logger } from "../../app/core/logger.js";
import { installAsyncRequestScope } from "../../worker/request-scope-als.js";
import { AmojoHarness } from "../crm/amocrm/amojo-harness.js";
import { FAKE_AMO_CLIENT_SECRET } from "../crm/amocrm/fake-amocrm.js";
import { FAKE_CHANNEL_SECRET } from "../crm/amocrm/fake-amojo.js";
import { AmoHarness } from "../crm/amocrm/harness.js";

/** Every line as the caller wrote it and as the JSON logger prints it (see log-hygiene.test.ts). */
function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const json = createLogger("debug", (line) => lines.push(line));
  const tee = (level: "debug" | "info" | "warn" | "error"): Logger[typeof level] => (m, f) => {
    lines.push(JSON.stringify({ m, f }));
    json[level](m, f);
  };
  return { logger: { debug: tee("debug"), info: tee("info"), warn: tee("warn"), error: tee("error") }, lines };
}

const leaks = (lines: string[], secrets: Set<string>) =>
  lines.flatMap((line) => [...secrets].filter((s) => s && line.includes(s)).map((s) => `${s.slice(0, 12)}… in ${line.slice(0, 300)}`));

describe("log hygiene: amoCRM tokens, the chat channel secret and message texts", () => {
  const rest = new AmoHarness("pglite");
  const chat = new AmojoHarness("pglite");
  const restLog = capture();
  const chatLog = capture();
  beforeAll(async () => {
    installAsyncRequestScope();
    await rest.start();
    await chat.start();
    rest.deps.logger = restLog.logger;
    chat.deps.logger = chatLog.logger;
  });
  afterAll(async () => {
    await rest.close();
    await chat.close();
  });

  it("OAuth refresh, a revoked integration, amojo deliveries and refusals log none of them", async () => {
    const { fake, row } = await rest.installed();
    await rest.expireTokens(fake, row);
    await rest.client(row).request("GET", "/api/v4/account", undefined, z.unknown());
    const issued = [...fake.accessTokens.keys(), ...fake.liveRefreshTokens, ...fake.spentRefreshTokens];
    fake.revokeAll();
    await rest.client(row).request("GET", "/api/v4/account", undefined, z.unknown()).catch(() => undefined);

    const b = await chat.bound();
    const text = `MARKER-amo-${crypto.randomUUID().slice(0, 8)}`;
    expect((await chat.clientWrites(b, { body: text })).status).toBe(200);
    chat.amojo.answerNext({ status: 400, body: { error: "bad" } });
    expect((await chat.clientWrites(b, { body: `${text}-refused` })).status).toBe(200);
    await chat.runJobs(4);

    const secrets = new Set<string>([FAKE_AMO_CLIENT_SECRET, FAKE_CHANNEL_SECRET, text, b.hookSecret, b.token]);
    for (const t of issued) secrets.add(t);
    // the install pair and the refreshed pair: two access and two refresh tokens
    expect(issued.length).toBeGreaterThanOrEqual(4);
    expect(restLog.lines.length + chatLog.lines.length).toBeGreaterThan(2);
    expect(leaks(restLog.lines, secrets)).toEqual([]);
    expect(leaks(chatLog.lines, secrets)).toEqual([]);
  });
});
