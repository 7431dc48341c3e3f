/**
 * Renaming a channel, overriding its pacing, and its fallbacks and daily caps
 * (page-script-failover.ts), in one PATCH /api/channels/:id. The page asks for
 * seconds, the API takes milliseconds; an empty box is null, the provider's default. The range
 * is the API's to check (channel-input.ts): its error names the field, shown beside that input.
 * Browser JavaScript in a string; runs after the channel script in the same scope.
 */
export const PAGE_CHANNEL_EDIT_SCRIPT = String.raw`
/** What the admin typed and what the API refused, per channel: the card is re-rendered often. */
const editDrafts = new Map();

/** The API's field names and the page's own words for their range errors. */
const PACE_FIELD_ERRORS = { paceMinMs: "paceMinInvalid", paceJitterMs: "paceJitterInvalid" };

function secondsText(ms) {
  return ms === null || ms === undefined ? "" : String(ms / 1000);
}

/** Milliseconds for a seconds box: null when empty, undefined when not a number. */
function msOfSeconds(text) {
  // a decimal comma is what Russian keyboards type
  const trimmed = String(text).trim().replace(",", ".");
  if (trimmed === "") return null;
  const seconds = Number(trimmed);
  return Number.isFinite(seconds) ? Math.round(seconds * 1000) : undefined;
}

function draftOf(channel) {
  let draft = editDrafts.get(channel.id);
  if (!draft) {
    draft = { name: channel.name, paceMin: secondsText(channel.pace_min_ms), paceJitter: secondsText(channel.pace_jitter_ms), ...failoverDraft(channel), errors: {} };
    editDrafts.set(channel.id, draft);
  }
  return draft;
}

function closeEditor(channelId) {
  editDrafts.delete(channelId);
  state.editing.delete(channelId);
}

function editToggle(channel) {
  if (state.editing.has(channel.id)) return null;
  return button(t("editChannel"), () => {
    state.editing.add(channel.id);
    renderChannels();
  }, "cb-secondary");
}

function editInput(channel, draft, key, apiField, label, hint) {
  const id = "cb-edit-" + apiField + "-" + channel.id;
  const input = el("input", {
    type: "text",
    id,
    value: draft[key],
    autocomplete: "off",
    inputMode: key === "name" ? null : "decimal",
    maxLength: key === "name" ? 100 : 12,
    oninput: (ev) => {
      draft[key] = ev.currentTarget.value;
    },
  });
  input.setAttribute("data-edit", apiField);
  const error = draft.errors[apiField];
  if (error) input.setAttribute("aria-invalid", "true");
  return el("div", { className: "cb-field" }, [
    el("label", { className: "cb-label", htmlFor: id, text: label }),
    input,
    hint ? el("small", { className: "cb-hint", text: hint }) : null,
    error ? el("small", { className: "cb-field-error", role: "alert", text: error, "data-field-error": apiField }) : null,
  ]);
}

function fieldErrorText(err) {
  const key = PACE_FIELD_ERRORS[err.field];
  return key ? t(key) : err.message;
}

async function saveChannelEdit(channel, draft, control) {
  draft.errors = {};
  const paceMinMs = msOfSeconds(draft.paceMin);
  const paceJitterMs = msOfSeconds(draft.paceJitter);
  if (paceMinMs === undefined) draft.errors.paceMinMs = t("notSeconds");
  if (paceJitterMs === undefined) draft.errors.paceJitterMs = t("notSeconds");
  const failover = failoverChanges(channel, draft);
  if (Object.keys(draft.errors).length > 0) {
    renderChannels();
    return;
  }
  await runAction(channel.id, control, async () => {
    let answer;
    try {
      answer = await api("PATCH", channelPath(channel), { name: draft.name.trim(), paceMinMs, paceJitterMs, ...failover });
    } catch (err) {
      if (!(err instanceof ApiError) || !err.field) throw err;
      draft.errors[err.field] = fieldErrorText(err);
      renderChannels();
      throw new ApiError(err.code, t("fixFields"), err.field);
    }
    closeEditor(channel.id);
    await reloadChannels();
    return t("saved", { name: answer.channel.name });
  });
}

function editBlock(channel) {
  if (!state.editing.has(channel.id)) return null;
  const draft = draftOf(channel);
  return el("div", { className: "cb-edit", "data-edit-channel": channel.id }, [
    editInput(channel, draft, "name", "name", t("channelName"), ""),
    editInput(channel, draft, "paceMin", "paceMinMs", t("paceMin"), t("paceHint")),
    editInput(channel, draft, "paceJitter", "paceJitterMs", t("paceJitter"), t("paceHint")),
    failoverEditBlock(channel, draft),
    el("div", { className: "cb-actions" }, [
      button(t("saveChannel"), (b) => saveChannelEdit(channel, draft, b)),
      button(t("cancel"), () => {
        closeEditor(channel.id);
        renderChannels();
      }, "cb-secondary"),
    ]),
  ]);
}
`;
