import { PAGE_ADD_FORM_SCRIPT } from "./page-script-add-form.js";
import { PAGE_CHANNELS_SCRIPT } from "./page-script-channels.js";
import { PAGE_CORE_SCRIPT } from "./page-script-core.js";
import { SCHEMA_FORM_SCRIPT } from "./schema-form-script.js";

/**
 * The settings page's whole script, one strict-mode function scope so nothing leaks onto
 * window. Order matters: the core (boot data, api) first, `start()` at the end of the form part.
 */
export const SETTINGS_PAGE_SCRIPT = `(function () {
"use strict";
${PAGE_CORE_SCRIPT}
${SCHEMA_FORM_SCRIPT}
${PAGE_CHANNELS_SCRIPT}
${PAGE_ADD_FORM_SCRIPT}
})();`;
