import { devino } from "./devino/index.js";
import { evolution } from "./evolution/index.js";
import { gateway } from "./gateway/index.js";
import { greenapi } from "./greenapi/index.js";
import { telegram } from "./telegram/index.js";
import type { Provider } from "./types.js";
import { wahelp } from "./wahelp/index.js";
import { wamm } from "./wamm/index.js";
import { waha } from "./waha/index.js";
import { wappi } from "./wappi/index.js";
import { whatsappCloud } from "./whatsapp-cloud/index.js";

/** Every provider a channel can use, by the name stored in `channels.provider`. One line per provider. */
export const providers = {
  wappi,
  greenapi,
  gateway,
  wahelp,
  devino,
  wamm,
  telegram,
  "whatsapp-cloud": whatsappCloud,
  evolution,
  waha,
} satisfies Record<string, Provider<any>>;

export type ProviderName = keyof typeof providers;

export function getProvider(name: string): Provider<unknown> | undefined {
  return Object.hasOwn(providers, name) ? (providers[name as ProviderName] as Provider<unknown>) : undefined;
}
