// Metric values from log lines, as SageMaker takes them: each
// MetricDefinition's Regex is tried on every log event, the first capture
// group is the value, the event's timestamp its time. (SageMaker compiles
// the expressions with Python's `re`; the common subset is the same in
// JavaScript, and one that does not compile here is reported as such.)

export interface MetricDefinition {
  Name?: string;
  Regex?: string;
}

export interface MetricSeries {
  name: string;
  regex: string;
  /** Why the expression cannot be used here, if it cannot. */
  invalid?: string;
  /** Event times, in seconds (uPlot's time scale). */
  xs: number[];
  ys: number[];
  /** Points not kept (the oldest), beyond MAX_POINTS. */
  dropped: number;
}

/** Points kept per metric: plenty for a plot, bounded for a week-long job. */
export const MAX_POINTS = 20000;

export function compileMetrics(definitions: MetricDefinition[]) {
  const series: MetricSeries[] = [];
  const compiled: [RegExp, MetricSeries][] = [];
  for (const d of definitions) {
    const s: MetricSeries = { name: d.Name ?? "", regex: d.Regex ?? "", xs: [], ys: [], dropped: 0 };
    series.push(s);
    try {
      compiled.push([new RegExp(s.regex), s]);
    } catch (e) {
      s.invalid = `This expression is not a valid JavaScript regular expression (${(e as Error).message}).`;
    }
  }
  return {
    series,
    /** Applies every definition to one event's message. */
    take(message: string, timeMs: number) {
      for (const [re, s] of compiled) {
        const m = re.exec(message);
        if (!m || m[1] === undefined) continue;
        const v = Number.parseFloat(m[1]);
        if (!Number.isFinite(v)) continue;
        s.xs.push(timeMs / 1000);
        s.ys.push(v);
        if (s.xs.length > MAX_POINTS) {
          s.xs.shift();
          s.ys.shift();
          s.dropped++;
        }
      }
    },
  };
}
