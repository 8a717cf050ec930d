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
  /** The host whose log gave the values (`algo-2`), when known. */
  host?: string;
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

/**
 * The host of a training log stream: `job/algo-2-1700000000` → `algo-2`
 * (docs/contracts.md §3.8); other names as they are after the job's prefix.
 */
export function hostOfStream(stream: string): string {
  const own = stream.slice(stream.indexOf("/") + 1);
  const m = /^(algo-\d+)-\d+$/.exec(own);
  return m ? m[1] : own;
}

/** A series' label: its metric, and its host when several hosts report it. */
export function seriesLabel(s: MetricSeries, all: MetricSeries[]): string {
  const hosts = new Set(all.filter((o) => o.name === s.name && o.host).map((o) => o.host));
  return hosts.size > 1 && s.host ? `${s.name} (${s.host})` : s.name;
}

export function compileMetrics(definitions: MetricDefinition[]) {
  const series: MetricSeries[] = [];
  // Per definition: its expression and its series, one per host (a
  // distributed job's hosts each log their own values; mixing them in one
  // line would zigzag between hosts).
  const compiled: { re: RegExp; perHost: MetricSeries[] }[] = [];
  for (const d of definitions) {
    const s: MetricSeries = { name: d.Name ?? "", regex: d.Regex ?? "", xs: [], ys: [], dropped: 0 };
    series.push(s);
    try {
      compiled.push({ re: new RegExp(s.regex), perHost: [s] });
    } catch (e) {
      s.invalid = `This expression is not a valid JavaScript regular expression (${(e as Error).message}).`;
    }
  }
  const seriesFor = (perHost: MetricSeries[], host: string | undefined): MetricSeries => {
    const first = perHost[0];
    if (first.host === undefined && first.xs.length === 0 && first.dropped === 0) {
      first.host = host;
      return first;
    }
    const known = perHost.find((s) => s.host === host);
    if (known) return known;
    const s: MetricSeries = { name: first.name, regex: first.regex, host, xs: [], ys: [], dropped: 0 };
    // After the definition's other hosts, hosts in name order.
    const last = perHost[perHost.length - 1];
    series.splice(series.indexOf(last) + 1, 0, s);
    perHost.push(s);
    return s;
  };
  return {
    series,
    /** Applies every definition to one event's message (from `host`'s log). */
    take(message: string, timeMs: number, host?: string) {
      for (const { re, perHost } of compiled) {
        const m = re.exec(message);
        if (!m || m[1] === undefined) continue;
        const v = Number.parseFloat(m[1]);
        if (!Number.isFinite(v)) continue;
        const s = seriesFor(perHost, host);
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
