// The objective over the children (uPlot): each child's final objective
// value as a point, by child number or by the time its training ended,
// and the best value so far as a line. Redrawn as children end.
import { useEffect, useRef, useState } from "preact/hooks";
import type uPlot from "uplot";
import { loadUPlot } from "../jobs/uplot";
import { bestSoFar, objectiveOf, type Child } from "./model";

type XAxis = "number" | "end";

const HEIGHT = 260;

export function ObjectiveChart({ children, metric, maximize }: { children: Child[]; metric: string; maximize: boolean }) {
  const [axis, setAxis] = useState<XAxis>("number");
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const [loadError, setLoadError] = useState<string>();
  const data = chartData(children, axis, maximize);
  const points = (data[2] as (number | null)[]).filter((v) => v !== null).length;
  const key = JSON.stringify(data);

  useEffect(() => {
    let gone = false;
    let observer: ResizeObserver | undefined;
    loadUPlot().then(
      (UPlot) => {
        if (gone || !box.current) return;
        const el = box.current;
        plot.current = new UPlot(
          {
            width: Math.max(240, el.clientWidth),
            height: HEIGHT,
            scales: { x: { time: axis === "end", range: xRange }, y: { range: padded } },
            series: [
              { label: axis === "end" ? "Training end time" : "Child" },
              // The line first, so each child's point is drawn over it.
              {
                label: maximize ? "Best so far (highest)" : "Best so far (lowest)",
                stroke: "#037f0c",
                width: 2,
                spanGaps: true,
                // The best holds until a child beats it: a step, not a slope.
                paths: UPlot.paths.stepped?.({ align: 1 }),
                points: { show: false },
              },
              { label: metric, stroke: "#0972d3", paths: () => null, points: { show: true, size: 7, fill: "#0972d3" } },
            ],
            // Children are counted: whole numbers on the x axis.
            axes: [axis === "end" ? {} : { label: "Child number", incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] }, { size: 60 }],
          },
          chartData(children, axis, maximize),
          el,
        );
        observer = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(240, el.clientWidth), height: HEIGHT }));
        observer.observe(el);
      },
      (e: unknown) => setLoadError(`The chart could not be loaded: ${(e as Error).message}`),
    );
    return () => {
      gone = true;
      observer?.disconnect();
      plot.current?.destroy();
      plot.current = undefined;
    };
  }, [axis, metric, maximize]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [key]);

  return (
    <figure class="metric objective-chart" data-points={points}>
      <figcaption>
        <strong>{metric}</strong>{" "}
        <span class="muted">
          {points} {points === 1 ? "child" : "children"} with a final value, {maximize ? "maximized" : "minimized"}
        </span>
        <div class="segmented" role="group" aria-label="X axis">
          <label>
            <input type="radio" name="objective-x" checked={axis === "number"} onChange={() => setAxis("number")} /> By child number
          </label>{" "}
          <label>
            <input type="radio" name="objective-x" checked={axis === "end"} onChange={() => setAxis("end")} /> By training end time
          </label>
        </div>
      </figcaption>
      {loadError && <div class="error-box">{loadError}</div>}
      {points === 0 && <p class="empty">No child has reported the objective yet.</p>}
      <div
        class="plot"
        ref={box}
        role="img"
        aria-label={`Chart of ${metric} over the children, ${points} values, with the best so far`}
      />
    </figure>
  );
}

/**
 * [x, best so far, objective]. By number: every child in creation order
 * (1, 2, …), a gap where there is no value. By end time: the children that
 * ended with a value, in the order they ended (seconds).
 */
function chartData(children: Child[], axis: XAxis, maximize: boolean): uPlot.AlignedData {
  if (axis === "number") {
    const ys = children.map((c) => objectiveOf(c) ?? null);
    return [children.map((_, i) => i + 1), bestSoFar(ys, maximize), ys];
  }
  const ended = children
    .filter((c) => c.TrainingEndTime && objectiveOf(c) !== undefined)
    .sort((a, b) => a.TrainingEndTime!.getTime() - b.TrainingEndTime!.getTime());
  const ys = ended.map((c) => objectiveOf(c) ?? null);
  return [ended.map((c) => c.TrainingEndTime!.getTime() / 1000), bestSoFar(ys, maximize), ys];
}

/** The x range: the data's with half a step either side (one point, or points a moment apart, stay visible). */
function xRange(u: uPlot, min: number, max: number): uPlot.Range.MinMax {
  if (min == null || max == null) return [0, 1];
  const time = u.scales.x.time;
  const pad = time ? Math.max(1, (max - min) * 0.05) : 0.5;
  return [min - pad, max + pad];
}

/** The y range: the values' with a margin, also around a single value. */
function padded(_u: uPlot, min: number, max: number): uPlot.Range.MinMax {
  if (min == null || max == null) return [0, 1];
  const pad = max > min ? (max - min) * 0.05 : Math.abs(min) * 0.5 || 1;
  return [min - pad, max + pad];
}
