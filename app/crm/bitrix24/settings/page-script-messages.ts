/**
 * The "Messages" section and the "Dead letters" view, both pages of GET /api/messages (newest
 * first, `before` for the next page). A dead letter is a failed message whose send job is dead;
 * "Retry" puts that job back (POST /api/jobs/:id/retry) and the row is read again. Browser
 * JavaScript in a string; runs after the channel script in the same scope.
 */
export const PAGE_MESSAGES_SCRIPT = String.raw`
const MESSAGES_PAGE_SIZE = 50;

const messageFilters = { channel: "", status: "" };
/** A retry's answer per message id, kept across re-renders of the row. */
const retryNotes = new Map();

function isDeadLetter(message) {
  return message.status === "failed" && message.send_job !== null && message.send_job.status === "dead";
}

function messageView(rootId, query, keep, emptyKey) {
  // generation: an answer for a filter that has changed since is dropped, not appended
  return { rootId, query, keep, emptyKey, items: [], nextBefore: null, failure: "", generation: 0, loading: false };
}

const messagesView = messageView("cb-messages", () => ({ channel: messageFilters.channel, status: messageFilters.status }), () => true, "noMessages");
const deadLettersView = messageView("cb-dead-letters", () => ({ status: "failed" }), isDeadLetter, "noDeadLetters");

async function loadMessagePage(view, more) {
  const generation = more ? view.generation : ++view.generation;
  const params = new URLSearchParams({ limit: String(MESSAGES_PAGE_SIZE) });
  for (const [key, value] of Object.entries(view.query())) if (value) params.set(key, value);
  if (more && view.nextBefore) params.set("before", view.nextBefore);
  view.loading = true;
  renderMessageView(view);
  try {
    const page = await api("GET", "/messages?" + params.toString());
    if (generation !== view.generation) return;
    const kept = page.messages.filter(view.keep);
    view.items = more ? view.items.concat(kept) : kept;
    view.nextBefore = page.next_before;
    view.failure = "";
  } catch (err) {
    if (generation !== view.generation) return;
    view.failure = t("messagesFailed", { message: messageOf(err) });
  } finally {
    if (generation === view.generation) {
      view.loading = false;
      renderMessageView(view);
    }
  }
}

function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString(boot.lang);
}

function channelNameOf(channelId) {
  const channel = state.channels.find((c) => c.id === channelId);
  return channel ? channel.name : t("deletedChannel");
}

/** The time of the current status: its history entry, or the message's creation. */
function statusTimeOf(message) {
  const history = Array.isArray(message.status_history) ? message.status_history : [];
  for (let i = history.length - 1; i >= 0; i--) if (history[i].status === message.status) return history[i].at;
  return message.created_at;
}

function contentOf(message) {
  const parts = [];
  if (message.body) parts.push(message.body);
  if (message.file) parts.push(message.file.name ? t("fileNamed", { name: message.file.name }) : t("fileUnnamed"));
  return parts.join(" · ");
}

function retryBlock(message) {
  const current = retryNotes.get(message.id);
  if (!isDeadLetter(message) && !current) return null;
  const slot = el("span", { className: "cb-status", hidden: true, role: "status", "data-retry-note": message.id });
  if (current) showStatus(slot, current.kind, current.text);
  const control = isDeadLetter(message) ? button(t("retry"), (b) => retryDeadLetter(message, b, slot), "cb-secondary") : null;
  return el("div", { className: "cb-inline" }, [control, slot]);
}

function messageRow(message) {
  const content = contentOf(message);
  const failed = message.status === "failed" && (message.error_code || message.error_message);
  return el("li", { className: "cb-message", "data-message": message.id }, [
    el("div", { className: "cb-message-head" }, [
      el("span", { className: "cb-muted", text: formatTime(message.created_at) }),
      el("span", { className: "cb-badge", text: t(message.direction === "in" ? "directionIn" : "directionOut") }),
      el("strong", { text: message.peer }),
      el("span", { className: "cb-muted", text: channelNameOf(message.channel_id) }),
      el("span", { className: "cb-badge cb-msg-" + message.status, "data-status": message.status, text: t("statusAt", { status: t("status_" + message.status), time: formatTime(statusTimeOf(message)) }) }),
    ]),
    content ? el("div", { className: "cb-message-text", text: content }) : null,
    failed ? el("div", { className: "cb-status cb-status-error", text: t("failedWith", { code: message.error_code || "—", message: message.error_message || "" }) }) : null,
    retryBlock(message),
  ]);
}

function renderMessageView(view) {
  const root = document.getElementById(view.rootId);
  if (!root) return;
  const rows = view.items.map(messageRow);
  const more = view.nextBefore ? button(t("loadMore"), () => loadMessagePage(view, true), "cb-secondary") : null;
  if (more && view.loading) more.disabled = true;
  const parts = [
    view.failure ? el("p", { className: "cb-status cb-status-error", role: "alert", text: view.failure }) : null,
    rows.length > 0 ? el("ul", { className: "cb-messages" }, rows) : el("p", { className: "cb-empty", text: view.loading ? t("loading") : t(view.emptyKey) }),
    more,
  ];
  root.replaceChildren(...parts.filter(Boolean));
  fit();
}

/**
 * The row as the API has it now (queued again, or already sent by a quick pump), read by its id;
 * if that read fails, the retry's answer stands in: a retried dead send is put back to queued
 * with its job (dead-job-retry.ts).
 */
async function freshMessage(message, job) {
  try {
    const page = await api("GET", "/messages?" + new URLSearchParams({ id: message.id }).toString());
    const found = page.messages.find((m) => m.id === message.id);
    if (found) return found;
  } catch (err) {
    // the retry itself went through: its answer is still worth showing
  }
  return Object.assign({}, message, { status: "queued", error_code: null, error_message: null, send_job: Object.assign({}, message.send_job, { status: job.status }) });
}

function replaceMessage(fresh) {
  for (const view of [messagesView, deadLettersView]) {
    view.items = view.items.map((m) => (m.id === fresh.id ? fresh : m));
    renderMessageView(view);
  }
}

async function retryDeadLetter(message, control, slot) {
  control.disabled = true;
  showStatus(slot, "info", t("working"));
  let answer;
  try {
    answer = await api("POST", "/jobs/" + encodeURIComponent(message.send_job.id) + "/retry");
  } catch (err) {
    retryNotes.set(message.id, { kind: "error", text: messageOf(err) });
    showStatus(slot, "error", messageOf(err));
    control.disabled = false;
    return;
  }
  retryNotes.set(message.id, { kind: "ok", text: t("retried") });
  replaceMessage(await freshMessage(message, answer.job));
}

function channelFilterOptions() {
  return [el("option", { value: "", text: t("allChannels") })].concat(state.channels.map((c) => el("option", { value: c.id, text: c.name, selected: c.id === messageFilters.channel })));
}

/** Keeps the channel filter in step with the channel list without resetting the choice. */
function syncMessageChannelFilter() {
  const select = document.getElementById("cb-message-channel");
  if (!select) return;
  const signature = JSON.stringify(state.channels.map((c) => [c.id, c.name]));
  if (select.getAttribute("data-signature") === signature) return;
  select.replaceChildren(...channelFilterOptions());
  select.setAttribute("data-signature", signature);
  select.value = messageFilters.channel;
}

function renderMessageFilters() {
  const box = document.getElementById("cb-message-filters");
  if (!box) return;
  const channelSelect = el("select", { id: "cb-message-channel", onchange: (ev) => {
    messageFilters.channel = ev.currentTarget.value;
    loadMessagePage(messagesView, false);
  } }, channelFilterOptions());
  channelSelect.setAttribute("aria-label", t("channelFilter"));
  const statusSelect = el("select", { id: "cb-message-status", onchange: (ev) => {
    messageFilters.status = ev.currentTarget.value;
    loadMessagePage(messagesView, false);
  } }, [el("option", { value: "", text: t("filterAll") }), el("option", { value: "failed", text: t("filterFailed") })]);
  statusSelect.setAttribute("aria-label", t("statusFilter"));
  box.replaceChildren(channelSelect, statusSelect, button(t("refresh"), () => reloadMessageViews(), "cb-secondary"));
  syncMessageChannelFilter();
}

function reloadMessageViews() {
  return Promise.all([loadMessagePage(messagesView, false), loadMessagePage(deadLettersView, false)]);
}
`;
