import { PAGE_ADD_FORM_SCRIPT } from "./page-script-add-form.js";
import { PAGE_CHANNEL_EDIT_SCRIPT } from "./page-script-channel-edit.js";
import { PAGE_CHANNELS_SCRIPT } from "./page-script-channels.js";
import { PAGE_CORE_SCRIPT } from "./page-script-core.js";
import { PAGE_FAILOVER_SCRIPT } from "./page-script-failover.js";
import { PAGE_LIVE_SCRIPT } from "./page-script-live.js";
import { PAGE_MESSAGES_SCRIPT } from "./page-script-messages.js";
import { PAGE_PAIRING_SCRIPT } from "./page-script-pairing.js";
import { PAGE_REGION_SCRIPT } from "./page-script-region.js";
import { PAGE_TEMPLATES_SCRIPT } from "./page-script-templates.js";
import { SCHEMA_FORM_SCRIPT } from "./schema-form-script.js";

/**
 * The settings page's whole script, one strict-mode function scope so nothing leaks onto
 * window. The core (boot data, api) comes first; start() runs last, because the parts call each
 * other and their top-level consts (state, timers, views) must all be initialised by then.
 */
export const SETTINGS_PAGE_SCRIPT = `(function () {
"use strict";
${PAGE_CORE_SCRIPT}
${SCHEMA_FORM_SCRIPT}
${PAGE_CHANNELS_SCRIPT}
${PAGE_PAIRING_SCRIPT}
${PAGE_TEMPLATES_SCRIPT}
${PAGE_CHANNEL_EDIT_SCRIPT}
${PAGE_FAILOVER_SCRIPT}
${PAGE_MESSAGES_SCRIPT}
${PAGE_LIVE_SCRIPT}
${PAGE_REGION_SCRIPT}
${PAGE_ADD_FORM_SCRIPT}
start();
})();`;
