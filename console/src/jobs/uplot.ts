// uPlot and its stylesheet, loaded once with the first plot of any page
// (kept out of the pages' own chunks: most visits never draw a plot).
import type uPlot from "uplot";

export type UPlotClass = typeof uPlot;

let loading: Promise<UPlotClass> | undefined;

export function loadUPlot(): Promise<UPlotClass> {
  loading ??= Promise.all([import("uplot"), import("uplot/dist/uPlot.min.css")]).then(([m]) => m.default);
  return loading;
}
