/** One operation waiting for its reply. */
interface Pending {
  readonly due: number;
  readonly reject: (err: Error) => void;
}

/**
 * Deadlines for many in-flight operations with one timer: a `setTimeout` per operation (plus `Promise.race` and the
 * promises around it) cost as much Node CPU as a quarter of the store read it guards. One unref'd interval, stopped at
 * the first tick that finds nothing in flight, rejects what is overdue: an operation fails between `timeout` and
 * 1.25 × `timeout`.
 */
export class Deadlines {
  private readonly pending = new Set<Pending>();
  private timer: NodeJS.Timeout | undefined;
  private readonly tick: number;

  constructor(
    private readonly timeout: number,
    private readonly timedOut: () => Error,
  ) {
    this.tick = Math.max(1, Math.floor(timeout / 4));
  }

  /** `call`'s outcome, or `timedOut()` once it is overdue; a late reply is then ignored. */
  bound<T>(call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { due: performance.now() + this.timeout, reject };
      this.pending.add(entry);
      this.timer ??= setInterval(() => this.sweep(), this.tick).unref();
      call.then(
        (value) => {
          if (this.settle(entry)) resolve(value);
        },
        (err: unknown) => {
          if (this.settle(entry)) reject(err);
        },
      );
    });
  }

  /** Removes a settled operation; false if its deadline already rejected it. The timer stops at its next idle tick. */
  private settle(entry: Pending): boolean {
    return this.pending.delete(entry);
  }

  private sweep(): void {
    const now = performance.now();
    for (const entry of this.pending) {
      if (entry.due > now) continue;
      this.pending.delete(entry);
      entry.reject(this.timedOut());
    }
    if (this.pending.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
