// A page's lifetime: the timers and polls it started, all stopped by the
// Cleanup the page returns when the user navigates away.

/** What a page hands back to the router: stops every timer and poll it started. */
export type Cleanup = () => void;

/** Tracks a page's timers and polls so one call stops them all. */
export class Lifetime {
  private stops: (() => void)[] = [];
  private ended = false;

  /** True once the page has been left; async work checks it before touching the page. */
  get stopped(): boolean {
    return this.ended;
  }

  /** Runs `fn` when the page is left (immediately if it already was). */
  onStop(fn: () => void): void {
    if (this.ended) fn();
    else this.stops.push(fn);
  }

  /**
   * Calls `tick` every `ms` milliseconds, never two at once: the next one is
   * scheduled when the previous one has settled. A tick that returns `false`
   * ends the poll (the data stopped changing). Errors go to `onError` once per
   * run of failures, so a down service does not flood the page.
   */
  poll(ms: number, tick: () => Promise<boolean | void>, onError: (err: unknown) => void): void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failing = false;
    const run = async () => {
      if (this.ended) return;
      let again = true;
      try {
        again = (await tick()) !== false;
        failing = false;
      } catch (err) {
        if (!failing && !this.ended) onError(err);
        failing = true;
      }
      if (again && !this.ended) timer = setTimeout(run, ms);
    };
    timer = setTimeout(run, ms);
    this.onStop(() => clearTimeout(timer));
  }

  /** Calls `fn` every `ms` milliseconds (a clock for countdowns). */
  every(ms: number, fn: () => void): void {
    const id = setInterval(() => {
      if (!this.ended) fn();
    }, ms);
    this.onStop(() => clearInterval(id));
  }

  /** Stops everything; further calls do nothing. */
  stop(): void {
    if (this.ended) return;
    this.ended = true;
    for (const fn of this.stops.splice(0)) fn();
  }
}
