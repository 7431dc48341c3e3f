/**
 * The portal's phone region (GET/PATCH /api/portal): the country numbers typed without country
 * code are read in, for the webhook API, robots and test sends. A select of the countries most
 * portals are in, plus "other" with a two-letter ISO code the API checks. Country names come
 * from the browser's Intl.DisplayNames in the page's language (the code alone where it has
 * none). Beside it the portal's time zone, the day the daily sending caps count in: a select of
 * the listed countries' capitals' zones and UTC, or another IANA name typed (the API checks it).
 * Browser JavaScript in a string; it runs after PAGE_CORE_SCRIPT in the same scope.
 */
export const PAGE_REGION_SCRIPT = String.raw`
// the countries of issue 16's table: where Bitrix24 portals mostly are
const REGION_CHOICES = ["RU", "BY", "KZ", "UZ", "UA", "GE", "AM", "AZ", "KG", "DE", "GB", "US", "BR", "MX", "AR", "IN", "TR"];
const REGION_OTHER = "other";
// core/portal-time-zone.ts's zones of REGION_CHOICES, the ones a portal's zone defaults to
const TIME_ZONE_CHOICES = ["Europe/Moscow", "Europe/Minsk", "Asia/Almaty", "Asia/Tashkent", "Europe/Kyiv", "Asia/Tbilisi", "Asia/Yerevan", "Asia/Baku",
  "Asia/Bishkek", "Europe/Berlin", "Europe/London", "America/New_York", "America/Sao_Paulo", "America/Mexico_City", "America/Argentina/Buenos_Aires",
  "Asia/Kolkata", "Europe/Istanbul", "UTC"];
const regionState = { portal: null };

function regionName(code) {
  try {
    const name = new Intl.DisplayNames([boot.lang], { type: "region" }).of(code);
    return name && name !== code ? name + " (" + code + ")" : code;
  } catch (err) {
    return code;
  }
}

function renderRegion() {
  const target = document.getElementById("cb-region");
  if (!target || !regionState.portal) return;
  const current = regionState.portal.region;
  const known = REGION_CHOICES.includes(current);
  const select = el("select", { id: "cb-region-select" }, [
    ...REGION_CHOICES.map((code) => el("option", { value: code, text: regionName(code), selected: code === current })),
    el("option", { value: REGION_OTHER, text: t("regionOther"), selected: !known }),
  ]);
  select.value = known ? current : REGION_OTHER;
  const other = el("input", { type: "text", id: "cb-region-other", className: "cb-region-other", maxLength: 2, autocomplete: "off", placeholder: "PL", value: known ? "" : current });
  other.hidden = known;
  other.setAttribute("aria-label", t("regionOtherLabel"));
  select.addEventListener("change", () => {
    other.hidden = select.value !== REGION_OTHER;
    if (!other.hidden && typeof other.focus === "function") other.focus();
  });
  const slot = el("p", { className: "cb-status", hidden: true, role: "status", id: "cb-region-status" });
  const save = button(t("saveRegion"), async (b) => {
    const region = select.value === REGION_OTHER ? other.value.trim().toUpperCase() : select.value;
    if (!/^[A-Z]{2}$/.test(region)) {
      showStatus(slot, "error", t("regionInvalid"));
      return;
    }
    b.disabled = true;
    showStatus(slot, "info", t("working"));
    try {
      regionState.portal = (await api("PATCH", "/portal", { region })).portal;
      renderRegion();
      showStatus(document.getElementById("cb-region-status"), "ok", t("regionSaved", { country: regionName(regionState.portal.region) }));
    } catch (err) {
      showStatus(slot, "error", messageOf(err));
      b.disabled = false;
    }
    fit();
  });
  target.replaceChildren(
    el("div", { className: "cb-field" }, [
      el("label", { className: "cb-label", htmlFor: "cb-region-select", text: t("region") }),
      el("div", { className: "cb-inline" }, [select, other, save]),
      el("small", { className: "cb-hint", text: t("regionHint") }),
      regionState.portal.region_is_default ? el("small", { className: "cb-hint", text: t("regionDefault") }) : null,
    ]),
    slot,
  );
  // its own box beside the region's: saving the region may move a default zone, so both render here
  const zoneTarget = document.getElementById("cb-time-zone");
  if (zoneTarget) zoneTarget.replaceChildren(...timeZoneField());
  fit();
}

function timeZoneField() {
  const current = regionState.portal.time_zone;
  const known = TIME_ZONE_CHOICES.includes(current);
  const select = el("select", { id: "cb-time-zone-select" }, [
    ...TIME_ZONE_CHOICES.map((zone) => el("option", { value: zone, text: zone, selected: zone === current })),
    el("option", { value: REGION_OTHER, text: t("timeZoneOther"), selected: !known }),
  ]);
  select.value = known ? current : REGION_OTHER;
  const other = el("input", { type: "text", id: "cb-time-zone-other", maxLength: 64, autocomplete: "off", placeholder: "Europe/Paris", value: known ? "" : current });
  other.hidden = known;
  other.setAttribute("aria-label", t("timeZoneOtherLabel"));
  select.addEventListener("change", () => {
    other.hidden = select.value !== REGION_OTHER;
  });
  const slot = el("p", { className: "cb-status", hidden: true, role: "status", id: "cb-time-zone-status" });
  const save = button(t("saveRegion"), async (b) => {
    const timeZone = select.value === REGION_OTHER ? other.value.trim() : select.value;
    if (timeZone === "") {
      showStatus(slot, "error", t("timeZoneInvalid"));
      return;
    }
    b.disabled = true;
    showStatus(slot, "info", t("working"));
    try {
      regionState.portal = (await api("PATCH", "/portal", { timeZone })).portal;
      renderRegion();
      showStatus(document.getElementById("cb-time-zone-status"), "ok", t("timeZoneSaved", { zone: regionState.portal.time_zone }));
    } catch (err) {
      showStatus(slot, "error", messageOf(err));
      b.disabled = false;
    }
    fit();
  });
  return [
    el("div", { className: "cb-field", "data-time-zone": "" }, [
      el("label", { className: "cb-label", htmlFor: "cb-time-zone-select", text: t("timeZone") }),
      el("div", { className: "cb-inline" }, [select, other, save]),
      el("small", { className: "cb-hint", text: t("timeZoneHint") }),
      regionState.portal.time_zone_is_default ? el("small", { className: "cb-hint", text: t("timeZoneDefault") }) : null,
    ]),
    slot,
  ];
}

async function loadRegion() {
  try {
    regionState.portal = (await api("GET", "/portal")).portal;
    renderRegion();
  } catch (err) {
    const target = document.getElementById("cb-region");
    if (target) {
      const slot = el("p", { className: "cb-status", role: "status" });
      showStatus(slot, "error", t("regionFailed", { message: messageOf(err) }));
      target.replaceChildren(slot);
    }
  }
}
`;
