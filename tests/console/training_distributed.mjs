// A training job on two instances: one log stream per host, a Host
// filter over the log, and a metric every host logs plotted once per host.
import assert from "node:assert/strict";
import { need, scenario, screenshot, URL_BASE } from "./browser.mjs";
import { fact, noPageErrors } from "./jobs_common.mjs";

const job = need("JOB");
const metric = need("METRIC");

await scenario(async (page, b) => {
  await page.goto(`${URL_BASE}/console/training-jobs/${job}`);
  await page.getByRole("heading", { name: job }).waitFor();
  assert.equal((await fact(page, "Instance count").textContent()).trim(), "2");

  // The metric: one plot per host, each labelled with its host.
  const plots = page.locator(`figure.metric[data-metric="${metric}"]`);
  await page.waitForFunction(
    (m) => document.querySelectorAll(`figure.metric[data-metric="${m}"][data-points="1"]`).length === 2,
    metric,
    { timeout: 30000 },
  );
  assert.deepEqual((await plots.evaluateAll((fs) => fs.map((f) => f.dataset.host))).sort(), ["algo-1", "algo-2"]);
  await page.getByText(`${metric} (algo-2)`, { exact: true }).first().waitFor();

  // The log: both hosts' lines, then only algo-2's.
  const hostFilter = page.getByLabel("Host");
  await hostFilter.waitFor();
  const hostsShown = () => page.locator(".log .log-stream").evaluateAll((ss) => [...new Set(ss.map((s) => s.textContent.replace(/-\d+$/, "")))].sort());
  assert.deepEqual(await hostsShown(), ["algo-1", "algo-2"]);
  await hostFilter.selectOption("algo-2");
  await page.waitForFunction(() => [...document.querySelectorAll(".log .log-stream")].every((s) => s.textContent.startsWith("algo-2-")));
  assert.deepEqual(await hostsShown(), ["algo-2"]);
  await page.getByRole("log").getByText("this is algo-2 of 2 host(s)", { exact: false }).waitFor();
  await screenshot(page, "training-job-distributed");
  noPageErrors(b);
});
