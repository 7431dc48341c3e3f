/**
 * Failover groups and daily caps of a channel (core/failover.ts, core/daily-caps.ts): on the
 * card its group, a warning while it cannot send, today's use and its event list; in the
 * channel editor (page-script-channel-edit.ts) its fallback channels in order, its caps and
 * what a send over them does. The API checks the fallbacks (same portal and messenger, at most
 * 5) and the caps; its error names the field, shown beside it. Browser JavaScript in a string;
 * runs after the channel script in the same scope.
 */
export const PAGE_FAILOVER_SCRIPT = String.raw`
const MAX_FALLBACKS = 5;
/** per channel: the events loaded (newest first), or absent while the list is closed */
const channelEventLists = new Map();

function channelLabel(channelId) {
  const channel = state.channels.find((c) => c.id === channelId);
  return channel ? channel.name : t("deletedChannel");
}

/** Other channels of the portal that may be this one's fallbacks: the same messenger. */
function fallbackCandidates(channel) {
  return state.channels.filter((c) => c.id !== channel.id && c.messenger === channel.messenger);
}

function capText(cap) {
  return cap === null || cap === undefined ? "" : String(cap);
}

/** The editor's starting values; a fallback that is no longer a channel of the portal is left out. */
function failoverDraft(channel) {
  const candidates = new Set(fallbackCandidates(channel).map((c) => c.id));
  return {
    fallbacks: channel.group.fallbacks.filter((id) => candidates.has(id)),
    messageCap: capText(channel.daily_message_cap),
    newChatCap: capText(channel.daily_new_chat_cap),
    capOverflow: channel.cap_overflow,
  };
}

/** A cap box: null when empty, undefined when not a whole number from 1. */
function capOf(text) {
  const trimmed = String(text).trim();
  if (trimmed === "") return null;
  return /^[0-9]+$/.test(trimmed) && Number(trimmed) >= 1 ? Number(trimmed) : undefined;
}

function sameList(a, b) {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/**
 * The PATCH body's failover part: only what changed, so a rename does not send the group again.
 * A cap that is not a number is marked in draft.errors and leaves the body undefined.
 */
function failoverChanges(channel, draft) {
  const messageCap = capOf(draft.messageCap);
  const newChatCap = capOf(draft.newChatCap);
  if (messageCap === undefined) draft.errors.dailyMessageCap = t("capInvalid");
  if (newChatCap === undefined) draft.errors.dailyNewChatCap = t("capInvalid");
  if (messageCap === undefined || newChatCap === undefined) return undefined;
  const changes = {};
  if (!sameList(draft.fallbacks, channel.group.fallbacks)) changes.fallbacks = draft.fallbacks.slice();
  if (messageCap !== channel.daily_message_cap) changes.dailyMessageCap = messageCap;
  if (newChatCap !== channel.daily_new_chat_cap) changes.dailyNewChatCap = newChatCap;
  if (draft.capOverflow !== channel.cap_overflow) changes.capOverflow = draft.capOverflow;
  return changes;
}

function fieldError(draft, apiField) {
  const error = draft.errors[apiField];
  return error ? el("small", { className: "cb-field-error", role: "alert", text: error, "data-field-error": apiField }) : null;
}

function moveFallback(draft, index, by) {
  const list = draft.fallbacks;
  const [id] = list.splice(index, 1);
  list.splice(Math.max(0, Math.min(list.length, index + by)), 0, id);
  renderChannels();
}

function fallbackEditor(channel, draft) {
  const candidates = fallbackCandidates(channel);
  const rows = draft.fallbacks.map((id, i) =>
    el("li", { className: "cb-fallback", "data-fallback": id }, [
      el("span", { text: t("fallbackNth", { n: i + 1 }) + ": " + channelLabel(id) }),
      i > 0 ? button(t("moveUp"), () => moveFallback(draft, i, -1), "cb-secondary cb-small") : null,
      i < draft.fallbacks.length - 1 ? button(t("moveDown"), () => moveFallback(draft, i, 1), "cb-secondary cb-small") : null,
      button(t("removeFallback"), () => {
        draft.fallbacks.splice(i, 1);
        renderChannels();
      }, "cb-secondary cb-small"),
    ]),
  );
  const free = candidates.filter((c) => !draft.fallbacks.includes(c.id));
  let adder = null;
  if (draft.fallbacks.length < MAX_FALLBACKS && free.length > 0) {
    const id = "cb-edit-fallback-add-" + channel.id;
    const select = el("select", { id }, [el("option", { value: "", text: t("addFallback") }), ...free.map((c) => el("option", { value: c.id, text: c.name }))]);
    select.setAttribute("data-edit", "fallback-add");
    select.setAttribute("aria-label", t("addFallback"));
    select.addEventListener("change", () => {
      if (!select.value) return;
      draft.fallbacks.push(select.value);
      renderChannels();
    });
    adder = select;
  }
  return el("div", { className: "cb-field", "data-edit-group": channel.id }, [
    el("span", { className: "cb-label", text: t("fallbacks") }),
    draft.fallbacks.length > 0 ? el("ol", { className: "cb-fallbacks" }, rows) : el("small", { className: "cb-hint", text: t("noFallbacks") }),
    adder,
    candidates.length === 0 ? el("small", { className: "cb-hint", text: t("noFallbackCandidates", { messenger: channel.messenger }) }) : null,
    el("small", { className: "cb-hint", text: t("fallbacksHint") }),
    fieldError(draft, "fallbacks"),
  ]);
}

function capInput(channel, draft, key, apiField, label) {
  const id = "cb-edit-" + apiField + "-" + channel.id;
  const input = el("input", {
    type: "text",
    id,
    value: draft[key],
    autocomplete: "off",
    inputMode: "numeric",
    maxLength: 7,
    oninput: (ev) => {
      draft[key] = ev.currentTarget.value;
    },
  });
  input.setAttribute("data-edit", apiField);
  if (draft.errors[apiField]) input.setAttribute("aria-invalid", "true");
  return el("div", { className: "cb-field" }, [el("label", { className: "cb-label", htmlFor: id, text: label }), input, fieldError(draft, apiField)]);
}

function overflowSelect(channel, draft) {
  const id = "cb-edit-capOverflow-" + channel.id;
  const select = el("select", { id }, ["wait", "fallback"].map((v) => el("option", { value: v, text: t("capOverflow_" + v), selected: v === draft.capOverflow })));
  select.value = draft.capOverflow;
  select.setAttribute("data-edit", "capOverflow");
  select.addEventListener("change", () => {
    draft.capOverflow = select.value;
  });
  return el("div", { className: "cb-field" }, [el("label", { className: "cb-label", htmlFor: id, text: t("capOverflow") }), select, fieldError(draft, "capOverflow")]);
}

/** "Today: 12 of 50 messages, 3 of 10 new chats (Europe/Moscow)"; a count without a cap stands alone. */
function usageText(channel) {
  const use = channel.usage_today;
  const part = (used, cap, withCap, without) => (cap === null ? t(without, { used }) : t(withCap, { used, cap }));
  return t("usageToday", {
    messages: part(use.messages, channel.daily_message_cap, "usageMessages", "usageMessagesNoCap"),
    chats: part(use.new_chats, channel.daily_new_chat_cap, "usageChats", "usageChatsNoCap"),
    zone: use.time_zone,
  });
}

/** The editor's part for the group and the caps; page-script-channel-edit.ts places it and saves it. */
function failoverEditBlock(channel, draft) {
  return el("div", { className: "cb-edit-failover" }, [
    fallbackEditor(channel, draft),
    el("span", { className: "cb-label", text: t("dailyCaps") }),
    el("small", { className: "cb-hint", text: t("dailyCapsHint") }),
    capInput(channel, draft, "messageCap", "dailyMessageCap", t("dailyMessageCap")),
    capInput(channel, draft, "newChatCap", "dailyNewChatCap", t("dailyNewChatCap")),
    overflowSelect(channel, draft),
    el("small", { className: "cb-hint", "data-usage": channel.id, text: usageText(channel) }),
  ]);
}

/** The fallback that sends for a blocked channel: its first one that can send itself. */
function sendingFallback(channel) {
  const live = channel.group.fallbacks.map((id) => state.channels.find((c) => c.id === id)).filter(Boolean);
  return live.find((c) => !c.group.blocked) || null;
}

function blockedWarning(channel) {
  const group = channel.group;
  if (!group.blocked) return null;
  const reason = t("blocked_" + group.blocked);
  const via = group.failover_since ? sendingFallback(channel) : null;
  const text = via
    ? t("blockedVia", { reason, via: via.name, since: formatTime(group.failover_since) })
    : t("blockedAlone", { reason });
  return el("p", { className: "cb-status cb-status-error cb-blocked", role: "alert", "data-blocked": channel.id, text });
}

/** On the card: what the channel falls back to, what it is a fallback of, and today's use when it has caps. */
function groupBlock(channel) {
  const group = channel.group;
  const lines = [
    group.fallbacks.length > 0 ? t("fallsBackTo", { names: group.fallbacks.map(channelLabel).join(", ") }) : null,
    group.fallback_for.length > 0 ? t("fallbackFor", { names: group.fallback_for.map(channelLabel).join(", ") }) : null,
    channel.daily_message_cap !== null || channel.daily_new_chat_cap !== null ? usageText(channel) : null,
  ].filter(Boolean);
  if (lines.length === 0 && !group.blocked) return null;
  return el("div", { className: "cb-group", "data-group": channel.id }, [
    blockedWarning(channel),
    ...lines.map((text) => el("small", { className: "cb-hint", text })),
  ]);
}

async function loadChannelEvents(channel) {
  const answer = await api("GET", channelPath(channel, "/events?limit=50"));
  channelEventLists.set(channel.id, answer.events);
  renderChannels();
  return t("eventsLoaded", { count: answer.events.length });
}

/** The channel's failovers, recoveries and caps reached, newest first, loaded on demand. */
function eventsBlock(channel) {
  const events = channelEventLists.get(channel.id);
  const toggle = button(events ? t("refreshEvents") : t("showEvents"), (b) => runAction(channel.id, b, () => loadChannelEvents(channel)), "cb-secondary");
  if (!events) return el("div", { className: "cb-actions" }, [toggle]);
  const items = events.map((e) =>
    el("li", { className: "cb-event cb-event-" + e.kind }, [
      el("span", { className: "cb-muted", text: formatTime(e.at) }),
      el("span", { className: "cb-badge", text: t("event_" + e.kind) }),
      el("span", { text: e.text }),
    ]),
  );
  return el("div", { className: "cb-field", "data-events": channel.id }, [
    el("span", { className: "cb-label", text: t("events") }),
    items.length > 0 ? el("ul", { className: "cb-events" }, items) : el("small", { className: "cb-hint", text: t("noEvents") }),
    el("div", { className: "cb-actions" }, [
      toggle,
      button(t("hideEvents"), () => {
        channelEventLists.delete(channel.id);
        renderChannels();
      }, "cb-secondary"),
    ]),
  ]);
}
`;
