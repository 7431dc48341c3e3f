import { type ProviderErrorCode, ProviderPermanentError, ProviderRetryableError } from "../types.js";
import type { DevinoResult } from "./schema.js";

interface DeliveryError {
  code: ProviderErrorCode;
  retryable: boolean;
  text: string;
}

const billing: DeliveryError = { code: "rejected", retryable: false, text: "billing error" };
const spam: DeliveryError = { code: "rejected", retryable: false, text: "rejected as spam" };
const expired: DeliveryError = { code: "rejected", retryable: false, text: "message validity expired" };
const tooLong: DeliveryError = { code: "bad_request", retryable: false, text: "text too long" };
const noTemplate: DeliveryError = { code: "bad_request", retryable: false, text: "template does not exist for this language" };

/** Delivery error codes of status callbacks (seed 002, "Коды ошибок" of "Получение статуса"). */
export const DEVINO_ERROR_CODES: Record<number, DeliveryError> = {
  2000: { code: "bad_number", retryable: false, text: "recipient's operator unknown" },
  2001: spam,
  2002: billing,
  2003: billing,
  2004: billing,
  2005: { code: "rejected", retryable: false, text: "insufficient funds" },
  2006: billing,
  2007: billing,
  2008: billing,
  2009: { code: "rejected", retryable: false, text: "rejected as a duplicate" },
  2010: expired,
  2011: expired,
  2012: billing,
  2017: spam,
  2300: tooLong,
  2301: { code: "rate_limited", retryable: true, text: "too many messages in a short time, send again" },
  2302: spam,
  2303: { code: "bad_request", retryable: false, text: "MIME type not supported or image of 5 MB or more" },
  2304: tooLong,
  2305: { code: "no_messenger", retryable: false, text: "recipient does not use WhatsApp" },
  2307: { code: "bad_number", retryable: false, text: "recipient is the sending business number itself" },
  2308: { code: "bad_request", retryable: false, text: "template parameter count does not match" },
  2309: noTemplate,
  2310: noTemplate,
  2311: { code: "bad_request", retryable: false, text: "template parameter too long" },
  // the 24-hour rule: outside the customer service window only a template may be sent (reference 4)
  2312: { code: "template_required", retryable: false, text: "outside the 24-hour window: a template is required" },
  2313: { code: "rejected", retryable: false, text: "unknown error" },
};

/** "no_messenger (2305): recipient does not use WhatsApp": the typed code first, for the origin to act on. */
export function describeDevinoErrorCode(errorCode: number): string {
  const known = DEVINO_ERROR_CODES[errorCode];
  return known ? `${known.code} (${errorCode}): ${known.text}` : `error ${errorCode}`;
}

/**
 * The typed error for one REJECTED result. Keys are request-level (seed 002, send "Коды ошибок");
 * `ref` says which field was wrong, which decides between a bad number and a bad request.
 */
export function devinoRejection(result: DevinoResult): Error {
  const reasons = result.reasons ?? [];
  const detail = [
    ...reasons.map((r) => (r.ref ? `${r.key} (${r.ref})` : r.key)),
    ...(result.description ? [result.description] : []),
  ].join("; ");
  const message = `Devino rejected the message: ${detail || "no reason given"}`;
  for (const { key, ref } of reasons) {
    // a numeric key is a delivery error code given at once [U]: map it like a callback would
    const asCode = /^\d{4}$/.test(key) ? DEVINO_ERROR_CODES[Number(key)] : undefined;
    if (asCode) {
      return asCode.retryable
        ? new ProviderRetryableError(asCode.code, `${message}: ${asCode.text}`)
        : new ProviderPermanentError(asCode.code, `${message}: ${asCode.text}`);
    }
    const field = ref?.replace(/^messages\[\d+\]\.?/, "") ?? "";
    if (key === "unknown") return new ProviderRetryableError("server_error", message);
    if (key === "billing.error") return new ProviderPermanentError("rejected", `${message} (payment required)`);
    if (key === "forbidden") return new ProviderPermanentError("rejected", `${message} (sending forbidden)`);
    if (field === "to" && (key === "invalid" || key.startsWith("length."))) {
      return new ProviderPermanentError("bad_number", message);
    }
  }
  return new ProviderPermanentError("bad_request", message);
}
