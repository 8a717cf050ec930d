// What the job-page scenarios share: reading facts and plot figures.
export const fact = (page, label) => page.locator(`.facts > div:has(> dt:text-is("${label}")) > dd`);

/** How many values the plot of `metric` holds (its data-points). */
export async function plotPoints(page, metric) {
  const v = await page.locator(`figure.metric[data-metric="${metric}"]`).getAttribute("data-points");
  return Number(v);
}

/** Waits until the plot of `metric` holds at least `n` values. */
export async function waitForPoints(page, metric, n, timeout) {
  await page.waitForFunction(
    ([m, min]) => Number(document.querySelector(`figure.metric[data-metric="${m}"]`)?.dataset.points ?? 0) >= min,
    [metric, n],
    { timeout, polling: 200 },
  );
}

/** No uncaught exception happened in the page. */
export function noPageErrors(b) {
  const errors = b.problems.filter((p) => p.startsWith("page error"));
  if (errors.length) throw new Error(errors.join("\n"));
}
