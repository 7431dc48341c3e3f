import { AsyncLocalStorage } from "node:async_hooks";
import { installRequestScope, type ScopeFields } from "../app/core/request-scope.js";

/** The request scope of app/core/request-scope.ts over AsyncLocalStorage (Node, and Workers with nodejs_compat). */
export function installAsyncRequestScope(): void {
  const storage = new AsyncLocalStorage<ScopeFields>();
  installRequestScope({ run: (fields, fn) => storage.run(fields, fn), current: () => storage.getStore() });
}
