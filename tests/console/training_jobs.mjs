// The training jobs list (filter by name and status), a failed job's
// reason, a job of an algorithm resource plotted with the algorithm's
// metric definitions, and stopping a running job.
import assert from "node:assert/strict";
import { need, scenario, URL_BASE } from "./browser.mjs";
import { fact, noPageErrors, plotPoints, waitForPoints } from "./jobs_common.mjs";

const failed = need("FAILED_JOB");
const viaAlgorithm = need("ALGORITHM_JOB");
const algorithm = need("ALGORITHM");
const hanging = need("HANGING_JOB");
const tag = need("TAG");

await scenario(async (page, b) => {
  // The list: the name filter, then the status filter narrows it.
  await page.goto(`${URL_BASE}/console/training-jobs`);
  await page.getByRole("heading", { name: "Training jobs" }).waitFor();
  // Every row on screen is one of this test's (the filter is debounced,
  // and the server holds other tests' jobs).
  const onlyRows = (n) =>
    page.waitForFunction(
      ([t, n]) => {
        const rows = [...document.querySelectorAll("table.list tbody tr")];
        return rows.length === n && rows.every((r) => r.textContent.includes(t));
      },
      [tag, n],
    );
  await page.getByLabel("Filter training jobs by name").fill(tag);
  await page.getByRole("link", { name: failed }).waitFor();
  await page.getByRole("link", { name: viaAlgorithm }).waitFor();
  await page.getByLabel("Filter training jobs by status").selectOption("Failed");
  await page.getByRole("link", { name: viaAlgorithm }).waitFor({ state: "detached" });
  await onlyRows(1);
  await page.getByRole("link", { name: failed }).waitFor();
  await page.getByRole("link", { name: failed }).click();

  // The failed job: its reason first, no Stop button.
  await page.getByRole("heading", { name: failed }).waitFor();
  const reason = page.locator(".failure-reason");
  await reason.waitFor();
  assert.match(await reason.textContent(), /AlgorithmError: column 7 is not numeric/);
  await fact(page, "Status").getByText("Failed").waitFor();
  assert.equal(await page.getByRole("button", { name: "Stop", exact: true }).count(), 0);
  assert.equal((await page.locator("ol.timeline li .badge").allTextContents()).at(-1), "Failed");

  // A job of an algorithm: the algorithm's MetricDefinitions apply.
  await page.goto(`${URL_BASE}/console/training-jobs/${viaAlgorithm}`);
  const link = page.getByRole("link", { name: algorithm });
  await link.waitFor();
  assert.equal(await link.getAttribute("href"), `/console/algorithms/${algorithm}`);
  await waitForPoints(page, "epoch:mse", Number(need("ALGORITHM_POINTS")), 30000);
  assert.equal(await plotPoints(page, "epoch:mse"), Number(need("ALGORITHM_POINTS")));
  await page.locator('figure.metric[data-metric="epoch:mse"] canvas').first().waitFor();

  // Stop, confirmed in a dialog: the status moves on by itself.
  await page.goto(`${URL_BASE}/console/training-jobs/${hanging}`);
  await page.getByRole("log").getByText("this job will never finish").waitFor({ timeout: 60000 });
  await page.getByRole("button", { name: "Stop", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Stop training job?" });
  await dialog.getByText(hanging).waitFor();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await dialog.waitFor({ state: "hidden" });
  assert.equal(await fact(page, "Status").textContent(), "InProgress");
  await page.getByRole("button", { name: "Stop", exact: true }).click();
  await dialog.getByRole("button", { name: "Stop training job" }).click();
  await fact(page, "Status").getByText(/^(Stopping|Stopped)$/).waitFor();
  await fact(page, "Status").getByText("Stopped").waitFor({ timeout: 60000 });
  noPageErrors(b);
});
