import { Hono } from "hono";
import checkPhone from "../../../app/providers/wamm/fixtures/check-phone.json";
import fileTo from "../../../app/providers/wamm/fixtures/file-to.json";
import msgTo from "../../../app/providers/wamm/fixtures/msg-to.json";
import type { WammMessage } from "../../../app/providers/wamm/schema.js";
import type { FakeRecorder } from "../provider-fake.js";

export const WAMM_TOKEN = "a1b2c3d4e5";
export const WAMM_NO_WHATSAPP = "79009999999";

/** A message as msg_get_last returns it (the wire form: strings, from_me "0"/"1"). */
export type WammWireMessage = Omit<WammMessage, "from_me"> & { from_me: "0" | "1" };

export class WammFakeState {
  /** null: answer every send with the fixture's msg_id; a number: hand out ids from it upward */
  nextId: number | null = null;
  sent: Array<{ id: string; method: string; phone: string; text?: string; url?: string }> = [];
  /** what msg_get_last lists, any order; sends are added as from_me "1" entries */
  messages: WammWireMessage[] = [];
  /** msg_state answers by id */
  states = new Map<string, string>();
  /** answer the send attempted when `after` sends have succeeded with `err`, once */
  failSend: { after: number; err: string } | null = null;

  reset(): void {
    this.nextId = null;
    this.sent = [];
    this.messages = [];
    this.states.clear();
    this.failSend = null;
  }
}

const MAX_TEXT = 1500;

/**
 * WAMM as seed 002 describes it: GET /api2/{method}/{token}/ with query parameters, always HTTP
 * 200, `{"err":0,…}` on success and `{"err":"<reason>"}` otherwise.
 */
export function createWammFake(fake: FakeRecorder, state = new WammFakeState()): Hono {
  const app = new Hono();

  app.get("/api2/:method/:token/", (c) => {
    const method = c.req.param("method");
    if (!fake.check(c.req.param("token") === WAMM_TOKEN, "wrong token in the path")) return c.json({ err: "token fail" });
    const q = (name: string) => c.req.query(name);

    if (method === "msg_to" || method === "file_to") {
      const phone = q("phone") ?? "";
      if (!fake.check(/^\d{10,15}$/.test(phone), `${method}: phone must be digits, got ${JSON.stringify(phone)}`)) {
        return c.json({ err: "phone fail" });
      }
      if (method === "msg_to") {
        const text = q("text") ?? "";
        if (!fake.check(text !== "", "msg_to: text is empty")) return c.json({ err: "text fail" });
        if (!fake.check(Array.from(text).length <= MAX_TEXT, `msg_to: text of ${Array.from(text).length} characters`)) {
          return c.json({ err: "text fail, more 1500" });
        }
      } else if (!fake.check(/^https?:\/\//.test(q("url") ?? ""), "file_to: url must be http(s)")) {
        return c.json({ err: "url fail" });
      }
      if (phone === WAMM_NO_WHATSAPP) return c.json({ err: "no WhatsApp on the number" });
      if (state.failSend && state.failSend.after === state.sent.length) {
        const { err } = state.failSend;
        state.failSend = null;
        return c.json({ err });
      }
      const fixtureId = (method === "msg_to" ? msgTo : fileTo).body.msg_id;
      const id = String(state.nextId === null ? fixtureId : state.nextId++);
      const text = q("text");
      const url = q("url");
      state.sent.push({ id, method, phone, ...(text !== undefined ? { text } : {}), ...(url !== undefined ? { url } : {}) });
      return c.json({ err: 0, msg_id: Number(id) });
    }

    if (method === "check_phone") {
      const phone = q("phone") ?? "";
      if (!fake.check(/^\d{10,15}$/.test(phone), "check_phone: phone must be digits")) return c.json({ err: "phone fail" });
      return c.json(phone === WAMM_NO_WHATSAPP ? checkPhone.none : checkPhone.exists);
    }

    if (method === "msg_state") {
      const id = q("msg_id") ?? "";
      if (!fake.check(/^\d+$/.test(id), "msg_state: msg_id must be a number")) return c.json({ err: "msg_id fail" });
      const st = state.states.get(id);
      if (!st) return c.json({ err: "msg not be" });
      return c.json({ err: 0, msg_data: { msg_id: id, phone: "79001234567", state: st } });
    }

    if (method === "msg_get_last") {
      const col = Number(q("col"));
      const fromMe = q("from_me");
      if (!fake.check(Number.isInteger(col) && col >= 1 && col <= 100, "msg_get_last: col must be 1..100")) {
        return c.json({ err: "col fail or more 100" });
      }
      fake.check(fromMe === undefined || fromMe === "0" || fromMe === "1", "msg_get_last: from_me must be 0 or 1");
      const list = state.messages
        .filter((m) => fromMe === undefined || m.from_me === fromMe)
        .sort((a, b) => Number(b.msg_id) - Number(a.msg_id))
        .slice(0, col);
      return c.json(list.length === 0 ? { err: "msgs not be" } : { err: 0, msg_data: list });
    }

    fake.check(false, `no WAMM method ${method}`);
    return c.json({ err: "method fail" });
  });

  return app;
}
