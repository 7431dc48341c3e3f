import { Hono } from "hono";
import channelFixture from "../../../app/providers/wahelp/fixtures/channel.json";
import hookFixture from "../../../app/providers/wahelp/fixtures/hook.json";
import loginFixture from "../../../app/providers/wahelp/fixtures/login.json";
import noMessengerFixture from "../../../app/providers/wahelp/fixtures/error-no-messenger.json";
import sendFixture from "../../../app/providers/wahelp/fixtures/send-message.json";
import userFixture from "../../../app/providers/wahelp/fixtures/user.json";
import type { FakeRecorder } from "../provider-fake.js";

export const WAHELP_LOGIN = "operator@example.com";
export const WAHELP_PASSWORD = "s3cret";
export const WAHELP_PROJECT = "101";
export const WAHELP_CHANNEL = channelFixture.body.data.uuid;
/** the number the fake says has no messenger (seed 000 §4 error) */
export const WAHELP_NO_MESSENGER_PHONE = "79009999999";

/** What the fake keeps between requests; tests read it to assert what Wahelp would have seen. */
export class WahelpFakeState {
  logins = 0;
  usersCreated = 0;
  sends: Array<{ userId: string; text: string }> = [];
  /** tokens the fake accepts; revoking empties it, as when Wahelp expires a token early */
  validTokens = new Set<string>();
  private issued = 0;
  readonly users = new Map<string, string>();

  issueToken(): string {
    this.issued += 1;
    // the first token is the seed's literal one, so the fixture is served verbatim
    const token = this.issued === 1 ? loginFixture.body.data.access_token : `token-${this.issued}`;
    this.validTokens.add(token);
    return token;
  }
  revokeTokens(): void {
    this.validTokens.clear();
  }
  reset(): void {
    this.logins = 0;
    this.usersCreated = 0;
    this.sends = [];
    this.validTokens.clear();
    this.issued = 0;
    this.users.clear();
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * A Wahelp fake speaking seed 000's wire format: login with login/password, bearer token plus
 * X-Project on project calls, user creation by "+phone", send_message to a user id, the
 * project hook. Every deviation is reported through the recorder.
 */
export function createWahelpFake(fake: FakeRecorder, state = new WahelpFakeState()): Hono {
  const app = new Hono();
  const unauthorized = { success: false, message: "Unauthenticated." };

  app.post("/api/app/user/login", async (c) => {
    state.logins += 1;
    const body: unknown = await c.req.json();
    fake.check(c.req.header("content-type")?.startsWith("application/json") === true, "login: JSON body expected");
    const ok = isObject(body) && body.login === WAHELP_LOGIN && body.password === WAHELP_PASSWORD;
    if (!fake.check(ok, `login: wrong login/password ${JSON.stringify(body)}`)) {
      return c.json({ success: false, message: "Invalid login or password" }, 401);
    }
    const token = state.issueToken();
    return c.json({ ...loginFixture.body, data: { ...loginFixture.body.data, access_token: token } });
  });

  app.use("/api/app/projects/:projectId/*", async (c, next) => {
    const auth = c.req.header("authorization") ?? "";
    const token = auth.startsWith("Bearer ") ? auth.slice("Bearer ".length) : "";
    if (!state.validTokens.has(token)) return c.json(unauthorized, 401);
    fake.checkEqual(c.req.header("x-project"), WAHELP_PROJECT, "X-Project header");
    fake.checkEqual(c.req.param("projectId"), WAHELP_PROJECT, "project id in the path");
    await next();
  });

  app.get("/api/app/projects/:projectId/channels", (c) =>
    c.json({ success: true, data: [{ ...channelFixture.body.data, active: true }] }),
  );

  app.post("/api/app/projects/:projectId/channels/:uuid/users", async (c) => {
    fake.checkEqual(c.req.param("uuid"), WAHELP_CHANNEL, "channel uuid in the path");
    const body: unknown = await c.req.json();
    const phone = isObject(body) && typeof body.phone === "string" ? body.phone : "";
    fake.check(/^\+\d{10,15}$/.test(phone), `users: phone must be "+digits", got ${JSON.stringify(phone)}`);
    fake.check(isObject(body) && typeof body.name === "string" && body.name !== "", "users: name is required");
    if (phone === `+${WAHELP_NO_MESSENGER_PHONE}`) return c.json(noMessengerFixture.body, 422);
    state.usersCreated += 1;
    // a stable id per phone ("3" + its last two digits) so tests can name it without counting
    const id = `3${phone.slice(-2)}`;
    state.users.set(phone, id);
    return c.json({ success: true, data: { ...userFixture.body.data, id: Number(id), phone } });
  });

  app.post("/api/app/projects/:projectId/channels/:uuid/send_message/:userId", async (c) => {
    fake.checkEqual(c.req.param("uuid"), WAHELP_CHANNEL, "channel uuid in the path");
    const userId = c.req.param("userId");
    fake.check([...state.users.values()].includes(userId), `send_message: unknown user id ${userId}`);
    const body: unknown = await c.req.json();
    const text = isObject(body) && typeof body.text === "string" ? body.text : "";
    fake.check(text !== "", "send_message: text is required");
    state.sends.push({ userId, text });
    return c.json({ ...sendFixture.body, data: { ...sendFixture.body.data, text } });
  });

  app.put("/api/app/projects/:projectId/hook", async (c) => {
    const body: unknown = await c.req.json();
    fake.check(isObject(body) && typeof body.url === "string" && body.url.startsWith("https://"), "hook: url is required");
    return c.json({ ...hookFixture.body, data: { url: isObject(body) ? body.url : null } });
  });

  return app;
}
