/**
 * Undo steps run last-in first-out, once, whether the bench ends, throws or is interrupted
 * (Ctrl-C, SIGTERM): the server child is killed, the fakes closed and the database dropped.
 */
export class Cleanup {
  private readonly steps: Array<{ what: string; run: () => Promise<void> }> = [];
  private running: Promise<void> | undefined;

  add(what: string, run: () => Promise<void>): void {
    this.steps.push({ what, run });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      while (this.steps.length > 0) {
        const step = this.steps.pop()!;
        try {
          await step.run();
        } catch (err) {
          console.error(`load bench: cleanup "${step.what}" failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    })();
    return this.running;
  }

  /** On SIGINT/SIGTERM: clean up, then leave with the conventional 128+signal code. Returns the unhook. */
  onSignals(): () => void {
    const handler = (signal: NodeJS.Signals) => {
      console.error(`\nload bench: ${signal}, cleaning up`);
      void this.run().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
    };
    process.once("SIGINT", handler);
    process.once("SIGTERM", handler);
    return () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    };
  }
}
