import { PermanentError, RetryableError } from "../../core/outbox/types.js";

/**
 * An amoCRM REST, OAuth or amojo error that retrying as is cannot fix (validation, rights, a
 * message amojo does not know). `code` is ours or amoCRM's, `status` the HTTP status.
 */
export class AmoCrmError extends PermanentError {
  constructor(
    override readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message, code);
  }
}

/** The account's tokens are revoked or the refresh token is spent: only a new install helps. */
export class AmoCrmReinstallNeededError extends AmoCrmError {}

/** 429, 5xx, a network failure or a refresh running elsewhere: the job should come back later. */
export class AmoCrmRetryableError extends RetryableError {
  constructor(
    readonly code: string,
    message: string,
    delayMs?: number,
  ) {
    super(message, delayMs);
  }
}
