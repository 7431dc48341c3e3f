import type { PhoneRegion } from "../../app/core/phone.js";

/**
 * Numbers as people in each country type them, without the country code, and the international
 * number they mean (issue 16's table): the end-to-end region suites send each through one path
 * and count what reaches the fake provider.
 */
export const LOCAL_NUMBERS: ReadonlyArray<{ region: PhoneRegion; typed: string; international: string }> = [
  { region: "BY", typed: "8 029 123-45-67", international: "375291234567" },
  { region: "KZ", typed: "8 (701) 123 45 67", international: "77011234567" },
  { region: "UA", typed: "050 123 4567", international: "380501234567" },
  { region: "GB", typed: "020 7946 0958", international: "442079460958" },
];
