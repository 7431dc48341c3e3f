/**
 * Which request (or which job, and the request that created it) the current async call chain
 * serves. Log lines written anywhere below a route or a job handler carry these ids, and a job
 * enqueued there records the request (outbox_jobs.request_id), without threading an id through
 * every call.
 *
 * app/ cannot import node:async_hooks (it must run on Workers unchanged), so the runtime installs
 * an AsyncLocalStorage-backed scope at start (worker/request-scope-als.ts; Workers have it under
 * nodejs_compat). Without one (unit tests), the request middleware and the pump still hand child
 * loggers to what they call; only code that logs through a logger captured earlier misses the ids.
 */
export interface ScopeFields {
  request_id?: string;
  job?: string;
}

export interface RequestScope {
  run<T>(fields: ScopeFields, fn: () => T): T;
  current(): ScopeFields | undefined;
}

const noScope: RequestScope = { run: (_fields, fn) => fn(), current: () => undefined };
let installed: RequestScope = noScope;

export function installRequestScope(scope: RequestScope): void {
  installed = scope;
}

export function runInScope<T>(fields: ScopeFields, fn: () => T): T {
  return installed.run(fields, fn);
}

export function scopeFields(): ScopeFields | undefined {
  return installed.current();
}

export function currentRequestId(): string | undefined {
  return installed.current()?.request_id;
}
