/**
 * Just enough DOM for the settings page script (no DOM library in the project): elements with
 * properties, attributes, children, listeners and `[attr]` selectors, a document around them and
 * timers fired by hand. settings.page-script.test.ts runs the page's real script on it.
 */

/** An element with properties, attributes, children, listeners and `[attr]` selectors. */
export class FakeElement {
  [prop: string]: unknown;
  readonly children: FakeElement[] = [];
  readonly attrs = new Map<string, string>();
  readonly listeners = new Map<string, Array<(ev: unknown) => unknown>>();
  private ownText = "";
  constructor(readonly tagName: string) {
    // like the browser's form controls, which start with an empty value
    if (tagName === "input" || tagName === "select") this.value = "";
  }
  get textContent(): string {
    return this.ownText + this.children.map((c) => c.textContent).join("");
  }
  set textContent(text: string) {
    this.ownText = text;
    this.children.length = 0;
  }
  append(...nodes: Array<FakeElement | string>) {
    for (const n of nodes) this.children.push(typeof n === "string" ? Object.assign(new FakeElement("#text"), { textContent: n }) : n);
  }
  replaceChildren(...nodes: FakeElement[]) {
    this.textContent = "";
    this.append(...nodes);
  }
  setAttribute(name: string, value: string) {
    this.attrs.set(name, value);
  }
  getAttribute(name: string) {
    return this.attrs.get(name) ?? null;
  }
  addEventListener(type: string, fn: (ev: unknown) => unknown) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  fire(type: string) {
    for (const fn of this.listeners.get(type) ?? []) fn({ currentTarget: this, preventDefault() {} });
  }
  select() {}
  contains(node: FakeElement): boolean {
    return node === this || this.descendants().includes(node);
  }
  descendants(): FakeElement[] {
    return this.children.flatMap((c) => [c, ...c.descendants()]);
  }
  querySelectorAll(selector: string): FakeElement[] {
    const attr = /^\[([\w-]+)\]$/.exec(selector)?.[1];
    if (!attr) throw new Error(`unsupported selector ${selector}`);
    return this.descendants().filter((n) => n.attrs.has(attr));
  }
}

const PAGE_IDS = ["cb-boot", "cb-line-binding", "cb-page-status", "cb-channels", "cb-add-form", "cb-region", "cb-time-zone", "cb-message-filters", "cb-messages", "cb-dead-letters"];

/** A document with the page's placeholders, the boot JSON in `#cb-boot`, and visibility under the test's control. */
export function fakeDocument(bootJson: string) {
  const body = new FakeElement("body");
  for (const id of PAGE_IDS) body.append(Object.assign(new FakeElement("div"), { id }));
  body.descendants().find((n) => n.id === "cb-boot")!.textContent = bootJson;
  const byId = (id: string) => body.descendants().find((n) => n.id === id);
  const events = new FakeElement("#document");
  const document = {
    visibilityState: "visible",
    activeElement: null as FakeElement | null,
    createElement: (tag: string) => new FakeElement(tag),
    getElementById: byId,
    querySelectorAll: (s: string) => body.querySelectorAll(s),
    addEventListener: (type: string, fn: (ev: unknown) => unknown) => events.addEventListener(type, fn),
  };
  const setVisibility = (state: "visible" | "hidden") => {
    document.visibilityState = state;
    events.fire("visibilitychange");
  };
  return { body, byId, document, setVisibility };
}

/** The page's setTimeout/clearTimeout, fired by hand: a test says which delay has passed. */
export class ManualTimers {
  private nextId = 1;
  private readonly pending = new Map<number, { run: () => void; ms: number }>();
  readonly setTimeout = (run: () => void, ms: number) => {
    this.pending.set(this.nextId, { run, ms });
    return this.nextId++;
  };
  readonly clearTimeout = (id: number | null | undefined) => {
    if (id !== null && id !== undefined) this.pending.delete(id);
  };
  delays(): number[] {
    return [...this.pending.values()].map((p) => p.ms).sort((a, b) => a - b);
  }
  fire(ms: number) {
    for (const [id, timer] of [...this.pending]) {
      if (timer.ms !== ms) continue;
      this.pending.delete(id);
      timer.run();
    }
  }
}
