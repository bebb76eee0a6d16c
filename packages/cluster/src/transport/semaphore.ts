/**
 * A counting semaphore with first-come-first-served waiters: bounds how many tasks a processor runs
 * at once. Shared by the processors of several runs (a pool worker's task slots), its FIFO order is
 * what makes the sharing fair: each processor waits with at most one task at a time, so a freed slot
 * goes to the run that has waited longest, and slots interleave the runs.
 */
export class Semaphore {
  private available: number;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly permits: number) {
    this.available = permits;
  }

  /** Resolves true once a permit is held, or false (holding none) if `signal` aborts first. */
  async acquire(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return false;
    if (this.available > 0) {
      this.available--;
      return true;
    }
    return new Promise<boolean>((resolve) => {
      const waiter = (): void => {
        signal?.removeEventListener("abort", onAbort);
        resolve(true);
      };
      const onAbort = (): void => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        resolve(false);
      };
      this.waiters.push(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.available++;
  }
}
