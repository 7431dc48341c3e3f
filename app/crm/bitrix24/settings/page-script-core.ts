/**
 * The page script's plumbing: boot data, texts, DOM building, API calls and per-channel notes.
 * Browser JavaScript in a string (see schema-form-script.ts for why). DOM nodes are built with
 * textContent and properties only, never innerHTML, so channel names and provider messages
 * cannot become markup.
 */
export const PAGE_CORE_SCRIPT = String.raw`
const boot = JSON.parse(document.getElementById("cb-boot").textContent);

function t(key, vars) {
  const text = Object.prototype.hasOwnProperty.call(boot.texts, key) ? boot.texts[key] : key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (vars && Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole));
}

function el(tag, props, children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "className") node.className = value;
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key.startsWith("data-")) node.setAttribute(key, String(value));
    else node[key] = value;
  }
  for (const child of children || []) if (child) node.append(child);
  return node;
}

function button(label, onClick, extraClass) {
  return el("button", { type: "button", className: "cb-button" + (extraClass ? " " + extraClass : ""), text: label, onclick: (ev) => onClick(ev.currentTarget) });
}

function fit() {
  // the page works without BX24.js (loaded async, only in a real portal's frame); once it is
  // there, the slider follows our height
  if (window.BX24 && typeof window.BX24.fitWindow === "function") window.BX24.fitWindow();
}
// BX24.js arrives after the first paint: fit once it has loaded
const bx24Script = document.getElementById("cb-bx24");
if (bx24Script) bx24Script.addEventListener("load", () => fit());

class ApiError extends Error {
  constructor(code, message, field) {
    super(message);
    this.code = code;
    // the input the API refused (its error JSON's "field"), so a form can show the error beside it
    this.field = field || null;
  }
}

async function api(method, path, body) {
  const headers = { authorization: "Bearer " + boot.token, accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  let res;
  try {
    res = await fetch(new URL(boot.apiBase + path, location.href), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError("network", t("networkError"));
  }
  let data = null;
  try {
    data = await res.json();
  } catch (err) {
    data = null;
  }
  if (res.ok && data && data.ok === true) return data;
  if (res.status === 401) throw new ApiError("unauthorized", t("sessionExpired"));
  const message = data && typeof data.message === "string" ? data.message : t("unexpectedAnswer", { status: res.status });
  const field = data && typeof data.field === "string" ? data.field : null;
  throw new ApiError(data && typeof data.error === "string" ? data.error : "http_" + res.status, message, field);
}

function messageOf(err) {
  return err instanceof ApiError ? err.message : t("unexpectedError");
}

function showStatus(slot, kind, text) {
  slot.textContent = text || "";
  slot.className = "cb-status cb-status-" + kind;
  slot.hidden = !text;
}

const notes = new Map();

/** A note stays with its channel across re-renders, so the answer to an action is not lost. */
function note(channelId, kind, text) {
  notes.set(channelId, { kind, text });
  for (const slot of document.querySelectorAll("[data-note]")) {
    if (slot.getAttribute("data-note") === channelId) showStatus(slot, kind, text);
  }
  fit();
}

function noteSlot(channelId) {
  const slot = el("p", { className: "cb-status", hidden: true, "data-note": channelId, role: "status" });
  const current = notes.get(channelId);
  if (current) showStatus(slot, current.kind, current.text);
  return slot;
}

function pageNote(kind, text) {
  showStatus(document.getElementById("cb-page-status"), kind, text);
  fit();
}

async function runAction(channelId, control, action) {
  control.disabled = true;
  note(channelId, "info", t("working"));
  try {
    note(channelId, "ok", (await action()) || t("done"));
  } catch (err) {
    note(channelId, "error", messageOf(err));
  } finally {
    control.disabled = false;
  }
}

async function copyText(input, channelId) {
  try {
    await navigator.clipboard.writeText(input.value);
    note(channelId, "ok", t("copied"));
  } catch (err) {
    // clipboard access may be denied inside the portal's iframe: fall back to the selection
    input.select();
    const copied = typeof document.execCommand === "function" && document.execCommand("copy");
    note(channelId, copied ? "ok" : "error", copied ? t("copied") : t("copyFailed"));
  }
}

function newRequestId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
}
`;
