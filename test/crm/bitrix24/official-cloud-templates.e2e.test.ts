import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failureText, languageOfDomain } from "../../../app/core/failure-texts.js";
import { messages } from "../../../app/db/schema.js";
import { cloudTextHook, postCloudHook, WA_CLIENT } from "../../providers/official-fakes.js";
import { backends } from "../../support/db.js";
import { type OfficialChat, OfficialHarness } from "./official-harness.js";

const HOUR = 3600_000;
const APPROVED = ["2023_april_promo", "hello_world", "order_ready"];
const NOT_APPROVED = ["order_update", "named_promo"];

/**
 * The 24-hour customer-service window of a WhatsApp Cloud API number seen from an Open Lines
 * chat: free text after the window closed is not sent and the operator is told to use a
 * template, with the number's approved templates listed in the note; `/template <name> <values>`
 * sends one, `/template` alone lists them.
 */
describe.each(await backends())("Open Lines: Cloud API window and /template (%s)", (backend) => {
  const h = new OfficialHarness(backend);
  const lang = () => languageOfDomain(h.fake.host);
  beforeAll(() => h.start());
  afterAll(() => h.close());

  const storedOf = (channelId: string) => h.t.db.select().from(messages).where(eq(messages.channelId, channelId));

  /** A client who wrote once, then more than 24 hours of silence. */
  async function windowClosed(): Promise<OfficialChat> {
    const b = await h.officialChannel("whatsapp-cloud");
    await postCloudHook(h.app, b.hookSecret, cloudTextHook({ text: "Hello", date: h.clock.now() }));
    await h.runJobs(2);
    const chat = await h.chatOf(b);
    h.clock.advance(25 * HOUR);
    return chat;
  }

  const sendsTo = (since: number) => h.official.cloudSends().slice(since).filter((s) => s.to === WA_CLIENT.phone);

  function expectTemplateList(note: string): void {
    for (const name of APPROVED) expect(note).toContain(name);
    for (const name of NOT_APPROVED) expect(note).not.toContain(name);
  }

  it("error: free text after 24 hours of silence is not sent; a ⚠️ note says a template is required and lists the approved ones", async () => {
    const chat = await windowClosed();
    const since = h.official.cloudSends().length;
    expect(await (await h.operatorWrites(chat, "94001", "Are you still interested?")).json()).toMatchObject({ queued: 1 });
    await h.runJobs(3);
    expect(sendsTo(since)).toEqual([]);

    const note = h.lineTexts(chat).at(-1)!;
    expect(note.startsWith("⚠️")).toBe(true);
    expect(note).toContain("Are you still interested?");
    expect(note).toContain(failureText("template_required", lang()));
    expect(note).toContain("/template");
    expectTemplateList(note);
    const [row] = (await storedOf(chat.channel.id)).filter((m) => m.crmMessageId === "94001");
    expect(row).toMatchObject({ status: "failed", errorCode: "template_required", providerMessageId: null });
    expect(h.lineCalls(chat, "imconnector.send.status.delivery")).toEqual([]);
  });

  it("happy: within the window the same free text goes out (the window counts from the client's last message)", async () => {
    const chat = await windowClosed();
    await postCloudHook(h.app, chat.hookSecret, cloudTextHook({ text: "Yes, still here", date: h.clock.now() }));
    await h.runJobs(2);
    const since = h.official.cloudSends().length;
    await h.operatorWrites(chat, "94002", "Great, here is the offer");
    await h.runJobs(3);
    expect(sendsTo(since)).toMatchObject([{ type: "text", text: { body: "Great, here is the offer" } }]);
  });

  it("happy: `/template <name> <values…>` outside the window sends the template with its name, language and body parameters", async () => {
    const chat = await windowClosed();
    const since = h.official.cloudSends().length;
    h.official.nextWamids("wamid.OUT.template.0001");
    expect(await (await h.operatorWrites(chat, "94003", "/template 2023_april_promo Mark FALL25")).json()).toMatchObject({ queued: 1 });
    await h.runJobs(3);
    expect(sendsTo(since)).toEqual([
      {
        messaging_product: "whatsapp",
        recipient_type: "individual",
        to: WA_CLIENT.phone,
        type: "template",
        template: {
          name: "2023_april_promo",
          language: { code: "en_US" },
          components: [{ type: "body", parameters: [{ type: "text", text: "Mark" }, { type: "text", text: "FALL25" }] }],
        },
      },
    ]);
    expect(h.official.cloud.violations).toEqual([]);
    // the row keeps what the client reads; the operator's send is acknowledged like any other
    const [row] = (await storedOf(chat.channel.id)).filter((m) => m.crmMessageId === "94003");
    expect(row).toMatchObject({ status: "sent", providerMessageId: "wamid.OUT.template.0001", template: { name: "2023_april_promo", language: "en_US", params: ["Mark", "FALL25"] } });
    expect(row!.body).toContain("Hi Mark, our Fall Sale is on! Use promo code FALL25");
    expect(h.lineCalls(chat, "imconnector.send.status.delivery")).toHaveLength(1);
  });

  it("happy: a quoted value with spaces stays one value (`/template name \"a b\" c`)", async () => {
    const chat = await windowClosed();
    const since = h.official.cloudSends().length;
    await h.operatorWrites(chat, "94004", '/template 2023_april_promo "Mark Twain" FALL25');
    await h.runJobs(3);
    const [sent] = sendsTo(since);
    expect((sent!.template as { components: Array<{ parameters: Array<{ text: string }> }> }).components[0]!.parameters.map((p) => p.text)).toEqual(["Mark Twain", "FALL25"]);
  });

  it("happy: `/template` alone sends nothing and answers with a note listing the approved templates", async () => {
    const chat = await windowClosed();
    const since = h.official.cloudSends().length;
    const posted = h.lineTexts(chat).length;
    expect(await (await h.operatorWrites(chat, "94005", "/template")).json()).toMatchObject({ queued: 1 });
    await h.runJobs(3);
    expect(sendsTo(since)).toEqual([]);
    const notes = h.lineTexts(chat).slice(posted);
    expect(notes).toHaveLength(1);
    expect(notes[0]!.startsWith("ℹ️")).toBe(true);
    expectTemplateList(notes[0]!);
    // the values each one takes are shown, so the operator can type the command
    expect(notes[0]).toMatch(/2023_april_promo \(en_US, 2 values\)/);
  });

  it.each([
    ["an unknown template", "/template spring_sale Mark", "spring_sale"],
    ["the wrong number of values", "/template 2023_april_promo Mark", "takes 2 value(s), got 1"],
    ["a template not approved", "/template order_update 123", "PENDING"],
  ])("error: %s -> nothing sent; a ⚠️ note with the reason and the approved templates", async (_name, command, reason) => {
    const chat = await windowClosed();
    const since = h.official.cloudSends().length;
    await h.operatorWrites(chat, `9410${command.length}`, command);
    await h.runJobs(3);
    expect(sendsTo(since)).toEqual([]);
    const note = h.lineTexts(chat).at(-1)!;
    expect(note.startsWith("⚠️")).toBe(true);
    expect(note).toContain(failureText("template_invalid", lang()));
    expect(note).toContain(reason);
    expect(note).toMatch(/Templates:|Шаблоны:/);
    for (const name of APPROVED) expect(note).toContain(name);
  });

  it("happy: a template whose header takes a value (order_ready) gets the values in reading order: the header's first, then the body's", async () => {
    const chat = await windowClosed();
    const since = h.official.cloudSends().length;
    await h.operatorWrites(chat, "94020", "/template order_ready 00001 Иван 1500");
    await h.runJobs(3);
    const [sent] = sendsTo(since);
    expect(sent!.template).toMatchObject({
      name: "order_ready",
      language: { code: "ru" },
      components: [
        { type: "header", parameters: [{ type: "text", text: "00001" }] },
        { type: "body", parameters: [{ type: "text", text: "Иван" }, { type: "text", text: "1500" }] },
      ],
    });
  });

  it("error: too few values for header and body -> refused with how many each part takes, nothing sent", async () => {
    const chat = await windowClosed();
    const since = h.official.cloudSends().length;
    await h.operatorWrites(chat, "94021", "/template order_ready 00001 1500");
    await h.runJobs(3);
    expect(sendsTo(since)).toEqual([]);
    expect(h.lineTexts(chat).at(-1)).toContain("1 for the header first, then 2 for the body: 3 in all");
  });
});
