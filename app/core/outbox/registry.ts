import type { z } from "zod";
import type { JobHandler } from "./types.js";

/** Job handlers by kind. Each capability registers its kinds once at start-up. */
export class JobRegistry {
  private readonly handlers = new Map<string, JobHandler>();

  register<S extends z.ZodType>(kind: string, handler: JobHandler<S>): this {
    if (this.handlers.has(kind)) throw new Error(`job kind ${kind} is registered twice`);
    this.handlers.set(kind, handler as unknown as JobHandler);
    return this;
  }

  get(kind: string): JobHandler | undefined {
    return this.handlers.get(kind);
  }

  kinds(): string[] {
    return [...this.handlers.keys()];
  }
}
