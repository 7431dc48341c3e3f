import type { z } from "zod";
import { scrubError } from "../logger.js";
import type { JobHandler } from "./types.js";

/** Job handlers by kind. Each capability registers its kinds once at start-up. */
export class JobRegistry {
  private readonly handlers = new Map<string, JobHandler>();

  register<S extends z.ZodType>(kind: string, handler: JobHandler<S>): this {
    if (this.handlers.has(kind)) throw new Error(`job kind ${kind} is registered twice`);
    // a failed query's message lists its bound values (message texts, credentials): they must not
    // reach the job's last_error (shown to admins) nor its log lines
    const handle: JobHandler<S>["handle"] = async (payload, ctx) => {
      try {
        await handler.handle(payload, ctx);
      } catch (err) {
        throw scrubError(err);
      }
    };
    this.handlers.set(kind, { ...handler, handle } as unknown as JobHandler);
    return this;
  }

  get(kind: string): JobHandler | undefined {
    return this.handlers.get(kind);
  }

  kinds(): string[] {
    return [...this.handlers.keys()];
  }
}
