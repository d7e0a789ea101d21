/**
 * Progress lines for a long benchmark run, on stderr (stdout keeps the report): what runs now, time elapsed and an
 * estimate of the time left. The estimate starts from a plan (seconds of load per step, known in advance) and is
 * scaled by how long the steps done so far really took (server starts, IPC, installs).
 */
export class Progress {
  private readonly started = Date.now();
  private planned = 0;
  private done = 0;

  constructor(private readonly write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)) {}

  /** Adds planned seconds (call before the steps run). */
  plan(seconds: number): void {
    this.planned += seconds;
  }

  /** Prints what starts now; `seconds` is its planned share, counted as done when the next step starts. */
  step(what: string, seconds = 0): void {
    this.write(`[bench ${clock(this.elapsed())} elapsed, ${this.left()} left] ${what}`);
    this.done += seconds;
  }

  /** Counts planned seconds as done without a line (e.g. a server start). */
  advance(seconds: number): void {
    this.done += seconds;
  }

  /** A line with no planned time of its own (a heartbeat, a result). */
  note(what: string): void {
    this.write(`[bench ${clock(this.elapsed())} elapsed] ${what}`);
  }

  private elapsed(): number {
    return (Date.now() - this.started) / 1000;
  }

  private left(): string {
    const remaining = Math.max(0, this.planned - this.done);
    // Real time per planned second so far, starting from 1 (20 s of prior) so the first steps do not swing it.
    const pace = (this.elapsed() + 20) / (this.done + 20);
    return `~${clock(remaining * pace)}`;
  }
}

export function clock(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const mm = String(m).padStart(h ? 2 : 1, '0');
  return `${h ? `${h}:` : ''}${mm}:${String(s % 60).padStart(2, '0')}`;
}
