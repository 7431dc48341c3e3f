export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const defaultBackoff: BackoffPolicy = { baseMs: 2_000, maxMs: 30 * 60_000 };

/**
 * Delay before attempt `attempt + 1`: exponential (base * 2^(attempt-1), capped) with "equal
 * jitter": half fixed, half random, so retries of many jobs failing together spread out but
 * a job never retries sooner than half its step.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy = defaultBackoff, random = Math.random): number {
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}
