/**
 * The "add a channel" form, rendered from GET /api/providers: the provider select, the name,
 * and one control per credentials field from its JSON Schema (schemaFields). Browser
 * JavaScript in a string; runs after the core, form-helper and channel scripts in one scope;
 * page-script.ts calls its start() once every part is defined.
 */
export const PAGE_ADD_FORM_SCRIPT = String.raw`
function fieldControl(field) {
  const id = "cb-f-" + field.name;
  let control;
  if (field.kind === "boolean") {
    control = el("input", { type: "checkbox", id, checked: field.defaultValue === true });
  } else if (field.kind === "enum") {
    const options = field.required ? [] : [el("option", { value: "", text: "—" })];
    for (const option of field.options) options.push(el("option", { value: String(option), text: String(option), selected: option === field.defaultValue }));
    control = el("select", { id }, options);
  } else {
    const numeric = field.kind === "integer" || field.kind === "number";
    control = el("input", {
      id,
      type: numeric ? "number" : field.secret ? "password" : field.format === "uri" ? "url" : "text",
      autocomplete: "off",
      value: field.defaultValue === null ? "" : String(field.defaultValue),
      step: field.kind === "integer" ? "1" : numeric ? "any" : null,
      min: field.minimum === null ? null : String(field.minimum),
      max: field.maximum === null ? null : String(field.maximum),
    });
  }
  control.setAttribute("data-field", field.name);
  if (field.required) control.setAttribute("aria-required", "true");
  return labelled(id, field.label, control, field.required, field.description);
}

function labelled(id, label, control, required, hint) {
  const caption = el("label", { className: "cb-label", htmlFor: id, text: label }, [required ? el("span", { className: "cb-required", text: " * " + t("required") }) : null]);
  return el("div", { className: "cb-field" }, [caption, control, hint ? el("small", { className: "cb-hint", text: hint }) : null]);
}

function formValues(box) {
  const values = {};
  for (const control of box.querySelectorAll("[data-field]")) {
    values[control.getAttribute("data-field")] = control.type === "checkbox" ? control.checked : control.value;
  }
  return values;
}

function renderAddForm() {
  const form = document.getElementById("cb-add-form");
  const slot = el("p", { className: "cb-status", hidden: true, role: "status" });
  const providerSelect = el("select", { id: "cb-provider" }, [el("option", { value: "", text: t("chooseProvider") })].concat(state.providers.map((p) => el("option", { value: p.name, text: p.title }))));
  const nameInput = el("input", { type: "text", id: "cb-name", maxLength: 100, autocomplete: "off" });
  const fieldsBox = el("div", { className: "cb-fields" });
  const submit = el("button", { type: "submit", className: "cb-button", text: t("addChannel") });
  let fields = [];
  providerSelect.addEventListener("change", () => {
    const provider = providerOf(providerSelect.value);
    fields = provider ? schemaFields(provider.credentials) : [];
    fieldsBox.replaceChildren(...fields.map(fieldControl));
    showStatus(slot, "info", "");
    fit();
  });
  form.replaceChildren(labelled("cb-provider", t("provider"), providerSelect, true, ""), labelled("cb-name", t("channelName"), nameInput, true, ""), fieldsBox, el("div", { className: "cb-actions" }, [submit]), slot);
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    const labelOf = (name) => (fields.find((f) => f.name === name) || { label: name }).label;
    const missing = [];
    if (!providerSelect.value) missing.push(t("provider"));
    if (!nameInput.value.trim()) missing.push(t("channelName"));
    const result = credentialsFromValues(fields, formValues(fieldsBox));
    missing.push(...result.missing.map(labelOf));
    if (missing.length > 0) return showStatus(slot, "error", t("missingFields", { fields: missing.join(", ") }));
    if (result.invalid.length > 0) return showStatus(slot, "error", t("invalidFields", { fields: result.invalid.map(labelOf).join(", ") }));
    submit.disabled = true;
    showStatus(slot, "info", t("working"));
    try {
      const answer = await api("POST", "/channels", { provider: providerSelect.value, name: nameInput.value.trim(), credentials: result.credentials });
      note(answer.channel.id, answer.warning ? "error" : "ok", answer.warning || t("created", { name: answer.channel.name }));
      await reloadChannels();
      renderAddForm();
    } catch (err) {
      showStatus(slot, "error", messageOf(err));
    } finally {
      submit.disabled = false;
      fit();
    }
  };
}

async function start() {
  renderChannels();
  renderMessageFilters();
  startLiveRefresh();
  // the message lists and the phone region load beside the providers: none waits for another
  reloadMessageViews();
  loadRegion();
  try {
    state.providers = (await api("GET", "/providers")).providers;
  } catch (err) {
    pageNote("error", t("providersFailed", { message: messageOf(err) }));
    return;
  }
  renderChannels();
  renderAddForm();
}
`;
