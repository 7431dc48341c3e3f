import { PermanentError, RetryableError } from "../../core/outbox/types.js";

/**
 * A Bitrix24 REST or OAuth error that retrying as is cannot fix (ACCESS_DENIED,
 * insufficient_scope, a bad parameter...). `code` is Bitrix24's `error` value
 * (reference/bitrix24.md 2.2), `status` the HTTP status it came with.
 */
export class Bitrix24Error extends PermanentError {
  constructor(
    override readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message, code);
  }
}

/** The portal's refresh token is gone (invalid_grant) or the app was removed: only a reinstall helps. */
export class Bitrix24ReinstallNeededError extends Bitrix24Error {}

/** Rate or time limit, overload, 5xx or a network failure: the job should come back later. */
export class Bitrix24RetryableError extends RetryableError {
  constructor(
    readonly code: string,
    message: string,
    delayMs?: number,
  ) {
    super(message, delayMs);
  }
}
