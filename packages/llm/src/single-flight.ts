/**
 * Single-flight: concurrent requests for the same key share one execution of the work. A caller that
 * gives up (its signal aborts) leaves without disturbing the others; when the last one leaves, the
 * work is aborted and forgotten, so a later caller starts afresh instead of joining a dying flight.
 */

/** Why a waiter's promise rejected when its own signal aborted, with the flight's state at that moment. */
export class FlightLeft<S> {
  constructor(
    readonly reason: unknown,
    readonly state: S,
  ) {}
}

interface Flight<T, S> {
  controller: AbortController;
  waiters: number;
  state: S;
  promise: Promise<T>;
}

export class SingleFlight<T, S> {
  private readonly flights = new Map<string, Flight<T, S>>();

  /**
   * Run `work` for `key`, or join the run already in progress. Resolves with the shared value and
   * whether this caller joined an existing run; rejects with the work's error, or with `FlightLeft`
   * when `signal` aborts first.
   */
  run(
    key: string,
    initState: () => S,
    work: (state: S, signal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<{ value: T; joined: boolean }> {
    const existing = this.flights.get(key);
    const joined = existing !== undefined;
    const flight = existing ?? this.start(key, initState, work);
    flight.waiters++;
    return new Promise((resolve, reject) => {
      let settled = false;
      const leave = () => {
        if (settled) return;
        settled = true;
        flight.waiters--;
        if (flight.waiters === 0) {
          this.forget(key, flight);
          flight.controller.abort(signal?.reason);
        }
        reject(new FlightLeft(signal?.reason, flight.state));
      };
      flight.promise.then(
        (value) => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener("abort", leave);
          resolve({ value, joined });
        },
        (err: unknown) => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener("abort", leave);
          reject(err);
        },
      );
      if (signal?.aborted) leave();
      else signal?.addEventListener("abort", leave, { once: true });
    });
  }

  /** Keys with work in progress. */
  get size(): number {
    return this.flights.size;
  }

  private start(key: string, initState: () => S, work: (state: S, signal: AbortSignal) => Promise<T>): Flight<T, S> {
    const controller = new AbortController();
    const state = initState();
    const flight: Flight<T, S> = { controller, waiters: 0, state, promise: work(state, controller.signal) };
    this.flights.set(key, flight);
    const forget = () => this.forget(key, flight);
    // Both outcomes reach every waiter through their own handlers; this one only clears the entry.
    flight.promise.then(forget, forget);
    return flight;
  }

  private forget(key: string, flight: Flight<T, S>): void {
    if (this.flights.get(key) === flight) this.flights.delete(key);
  }
}
