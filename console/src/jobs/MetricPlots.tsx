// One plot per metric (uPlot, loaded with the first plot), redrawn as the
// log tail brings new values; next to each, its values as text.
import { useEffect, useRef, useState } from "preact/hooks";
import type uPlot from "uplot";
import { formatTime } from "../format";
import { seriesLabel, type MetricSeries } from "./metrics";
import { loadUPlot } from "./uplot";

/** Rows of the values table under each plot (the latest ones). */
const TABLE_ROWS = 50;


export function MetricPlots({ series, following }: { series: MetricSeries[]; following: boolean }) {
  if (series.length === 0) return <p class="empty">This job defines no metrics.</p>;
  return (
    <div class="metric-plots">
      {series.map((s, i) => (
        <MetricPlot
          key={`${i}:${s.name}:${s.host ?? ""}`}
          series={s}
          label={seriesLabel(s, series)}
          points={s.xs.length + s.dropped}
          following={following}
        />
      ))}
    </div>
  );
}

/** `points` (how many values were ever read) changes when `series` grew. */
function MetricPlot({
  series,
  label,
  points,
  following,
}: {
  series: MetricSeries;
  label: string;
  points: number;
  following: boolean;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const [loadError, setLoadError] = useState<string>();
  const n = series.xs.length;
  const data = (): uPlot.AlignedData => ordered(series.xs, series.ys);

  useEffect(() => {
    if (series.invalid) return;
    let gone = false;
    let observer: ResizeObserver | undefined;
    loadUPlot().then(
      (UPlot) => {
        if (gone || !box.current) return;
        const el = box.current;
        plot.current = new UPlot(
          {
            width: Math.max(240, el.clientWidth),
            height: 220,
            legend: { show: false },
            scales: { x: { time: true, range: atLeastASecond }, y: { range: padded } },
            series: [{}, { label, stroke: "#0972d3", width: 2, points: { size: 4 } }],
            axes: [{}, { size: 60 }],
          },
          data(),
          el,
        );
        observer = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(240, el.clientWidth), height: 220 }));
        observer.observe(el);
      },
      (e: unknown) => setLoadError(`The plot could not be loaded: ${(e as Error).message}`),
    );
    return () => {
      gone = true;
      observer?.disconnect();
      plot.current?.destroy();
      plot.current = undefined;
    };
  }, [series]);

  useEffect(() => {
    plot.current?.setData(data());
  }, [points]);

  const last = n ? series.ys[n - 1] : undefined;
  const rows = [];
  for (let i = n - 1; i >= Math.max(0, n - TABLE_ROWS); i--) rows.push(i);
  return (
    <figure class="metric" data-metric={series.name} data-host={series.host} data-points={n}>
      <figcaption>
        <strong>{label}</strong>{" "}
        <span class="muted">
          {n} {n === 1 ? "value" : "values"}
          {last !== undefined && `, latest ${last}`}
          {following && " (updating)"}
        </span>
        <div class="muted">
          Regex <code>{series.regex}</code>
        </div>
      </figcaption>
      {series.invalid && <div class="error-box">{series.invalid}</div>}
      {loadError && <div class="error-box">{loadError}</div>}
      {!series.invalid && n === 0 && <p class="empty">No value of this metric in the log yet.</p>}
      <div class="plot" ref={box} role="img" aria-label={`Plot of ${label} over time, ${n} values`} />
      {series.dropped > 0 && <p class="muted">The {series.dropped} oldest values are not kept.</p>}
      {n > 0 && (
        <details>
          <summary>Values of {label}</summary>
          <table class="list compact">
            <caption class="visually-hidden">Latest values of {label}</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Value</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((i) => (
                <tr key={i}>
                  <td>{formatTime(new Date(series.xs[i] * 1000))}</td>
                  <td>{series.ys[i]}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {n > TABLE_ROWS && <p class="muted">The latest {TABLE_ROWS} of {n} values.</p>}
        </details>
      )}
    </figure>
  );
}

/** The points by time (uPlot needs ascending x; several streams interleave). */
function ordered(xs: number[], ys: number[]): uPlot.AlignedData {
  let sorted = true;
  for (let i = 1; i < xs.length && sorted; i++) sorted = xs[i - 1] <= xs[i];
  if (sorted) return [xs.slice(), ys.slice()];
  const idx = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
  return [idx.map((i) => xs[i]), idx.map((i) => ys[i])];
}

/**
 * The x range: the data's, but at least a second wide. Values logged within
 * one second would otherwise get uPlot's default span for equal times,
 * which is a day in milliseconds, i.e. years on a scale of seconds.
 */
function atLeastASecond(u: uPlot, min: number, max: number): uPlot.Range.MinMax {
  const xs = u.data[0];
  if (xs.length) {
    const first = xs[0];
    const last = xs[xs.length - 1];
    if (last - first < 1) return [first - 0.5, last + 0.5];
  }
  return [min, max];
}

/** The y range: the values' with a margin, also around a single value. */
function padded(_u: uPlot, min: number, max: number): uPlot.Range.MinMax {
  if (min == null || max == null) return [0, 1];
  const pad = max > min ? (max - min) * 0.05 : Math.abs(min) * 0.5 || 1;
  return [min - pad, max + pad];
}
