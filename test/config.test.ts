import { describe, expect, it } from "vitest";
import { ConfigError, configWarnings, loadConfig } from "../app/config.js";
import { TEST_ENCRYPTION_KEY } from "./support/deps.js";

const base = { ENCRYPTION_KEY: TEST_ENCRYPTION_KEY };

function problems(env: Record<string, string | undefined>, runtime: "node" | "workers" = "node"): string[] {
  try {
    loadConfig(env, runtime);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  return [];
}

describe("loadConfig", () => {
  it("applies the documented defaults", () => {
    const c = loadConfig(base, "node");
    expect(c.PORT).toBe(3000);
    expect(c.PUBLIC_URL).toBe("http://localhost:3000");
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.DATA_DIR).toBe("./data");
    expect(c.LOG_LEVEL).toBe("info");
    expect(c.BITRIX24_OAUTH_URL).toBe("https://oauth.bitrix.info");
    expect(c.AMOCRM_AMOJO_URL).toBe("https://amojo.amocrm.ru");
    expect(c.WAPPI_API_URL).toBe("https://wappi.pro");
    expect(c.OUTBOUND_ALLOW_LOOPBACK).toBe(false);
    expect(c.OUTBOX_MAX_ATTEMPTS).toBe(8);
    expect(c.runtime).toBe("node");
  });

  it("reads and normalises given values", () => {
    const c = loadConfig(
      {
        ...base,
        PORT: "8080",
        PUBLIC_URL: "https://bridge.example.com/",
        DATABASE_URL: "postgres://u@db:5432/x",
        OUTBOUND_ALLOW_LOOPBACK: "true",
        LOG_LEVEL: "debug",
        BITRIX24_CLIENT_ID: "local.123",
      },
      "node",
    );
    expect(c.PORT).toBe(8080);
    expect(c.PUBLIC_URL).toBe("https://bridge.example.com");
    expect(c.DATABASE_URL).toBe("postgres://u@db:5432/x");
    expect(c.OUTBOUND_ALLOW_LOOPBACK).toBe(true);
    expect(c.BITRIX24_CLIENT_ID).toBe("local.123");
  });

  it("treats empty strings as unset", () => {
    const c = loadConfig({ ...base, PORT: "", DATABASE_URL: " " }, "node");
    expect(c.PORT).toBe(3000);
    expect(c.DATABASE_URL).toBeUndefined();
  });

  it.each([
    [{ PORT: "abc" }, 'PORT: must be a whole number (got "abc")'],
    [{ PORT: "70000" }, 'PORT: must be at most 65535 (got "70000")'],
    [{ PUBLIC_URL: "bridge.example.com" }, 'PUBLIC_URL: must be an http(s) URL (got "bridge.example.com")'],
    [{ DATABASE_URL: "mysql://x" }, "DATABASE_URL: must be a postgres:// or postgresql:// URL"],
    [{ LOG_LEVEL: "loud" }, 'LOG_LEVEL: must be one of debug, info, warn, error, silent (got "loud")'],
    [{ OUTBOUND_ALLOW_LOOPBACK: "maybe" }, 'OUTBOUND_ALLOW_LOOPBACK: must be true or false (got "maybe")'],
    [{ OUTBOX_LEASE_MS: "10" }, 'OUTBOX_LEASE_MS: must be at least 1000 (got "10")'],
    [{ ENCRYPTION_KEY: "c2hvcnQ" }, "ENCRYPTION_KEY: key #1 must be 32 bytes (base64 of 32 random bytes), got 5"],
    [{ ENCRYPTION_KEY: "not base64!" }, "ENCRYPTION_KEY: key #1 is not base64"],
  ])("names the bad variable: %j", (env, message) => {
    expect(problems({ ...base, ...env })).toEqual([message]);
  });

  it("never echoes secrets in errors", () => {
    const [p] = problems({ ENCRYPTION_KEY: "c2VjcmV0LXZhbHVl" });
    expect(p).toMatch(/^ENCRYPTION_KEY: /);
    expect(p).not.toContain("c2VjcmV0LXZhbHVl");
  });

  it("lists every problem at once, in a readable message", () => {
    try {
      loadConfig({ PORT: "x", LOG_LEVEL: "y" }, "node");
      expect.unreachable();
    } catch (err) {
      const e = err as ConfigError;
      expect(e.problems).toHaveLength(3);
      expect(e.message).toBe(
        [
          "Invalid configuration:",
          '  - PORT: must be a whole number (got "x")',
          '  - LOG_LEVEL: must be one of debug, info, warn, error, silent (got "y")',
          "  - ENCRYPTION_KEY: is required (npm start generates one into DATA_DIR)",
        ].join("\n"),
      );
    }
  });

  it("requires ENCRYPTION_KEY and DATABASE_URL on Workers", () => {
    expect(problems({}, "workers")).toEqual([
      "ENCRYPTION_KEY: is required on Workers (wrangler secret put ENCRYPTION_KEY)",
      "DATABASE_URL: is required on Workers (a Hyperdrive binding or a postgres:// URL)",
    ]);
  });
});

describe("configWarnings", () => {
  const load = (env: Record<string, string>) => loadConfig({ ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, ...env }, "node");

  it("a plain configuration has nothing to warn about", () => {
    expect(configWarnings(load({}))).toEqual([]);
    expect(configWarnings(load({ AMOCRM_CLIENT_ID: "id", AMOCRM_CLIENT_SECRET: "s", AMOCRM_CHAT_CHANNEL_ID: "c", AMOCRM_CHAT_CHANNEL_SECRET: "x", AMOCRM_CHAT_BOT_ID: "b" }))).toEqual([]);
  });

  it("names loopback, a chat channel without its bot, and a chat channel without integration keys, never a secret", () => {
    const warnings = configWarnings(load({ OUTBOUND_ALLOW_LOOPBACK: "true", AMOCRM_CHAT_CHANNEL_ID: "c", AMOCRM_CHAT_CHANNEL_SECRET: "very-secret-value" }));
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/^OUTBOUND_ALLOW_LOOPBACK=true/);
    expect(warnings[1]).toMatch(/^AMOCRM_CHAT_BOT_ID is not set/);
    expect(warnings[2]).toMatch(/without AMOCRM_CLIENT_ID/);
    expect(warnings.join(" ")).not.toContain("very-secret-value");
  });

  it("names a half-set id/secret pair, which is ignored", () => {
    expect(configWarnings(load({ AMOCRM_CLIENT_ID: "id", AMOCRM_CLIENT_SECRET: "s", KOMMO_CLIENT_ID: "k" }))).toEqual([
      "KOMMO_CLIENT_SECRET is not set while KOMMO_CLIENT_ID is: the pair is ignored",
    ]);
  });
});
