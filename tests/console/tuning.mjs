// Hyperparameter tuning jobs (docs/console.md). With JOB: opened from the
// navigation while it runs, watched to Completed without a reload; the
// page's counters, best job, children rows (both orders) and chart are
// returned for the caller to compare with boto3's answers, and a child's
// link opens its training job page, which names the tuning job. With
// STOP_JOB: Stop, confirmed, until the page says Stopped. With DELETE_JOB:
// Delete, confirmed, back to the list.
import assert from "node:assert/strict";
import { result, scenario, screenshot, URL_BASE } from "./browser.mjs";
import { fact, noPageErrors } from "./jobs_common.mjs";

const job = process.env.JOB;
const stopJob = process.env.STOP_JOB;
const deleteJob = process.env.DELETE_JOB;

const section = (page, title) =>
  page.locator("section.panel", { has: page.getByRole("heading", { name: title, exact: true }) });
const nav = (page) => page.getByRole("navigation", { name: "Console" });
const childRows = (page) => page.locator('table[aria-label="Training jobs of the tuning job"] tbody tr');

/** The children as the table shows them, in its order. */
async function readChildren(page) {
  return childRows(page).evaluateAll((rows) =>
    rows.map((r) => ({
      name: r.dataset.child,
      status: r.querySelector("td:nth-child(2) .badge").textContent,
      objective: r.querySelector("td.objective").textContent,
    })),
  );
}

/** The facts of a section, label → text. */
async function facts(page, title) {
  return section(page, title)
    .locator(".facts > div")
    .evaluateAll((divs) => Object.fromEntries(divs.map((d) => [d.querySelector("dt").textContent, d.querySelector("dd").textContent])));
}

await scenario(async (page, b) => {
  const figures = {};
  if (job) {
    await nav(page).getByRole("link", { name: "Hyperparameter tuning jobs" }).click();
    await page.getByRole("heading", { name: "Hyperparameter tuning jobs" }).waitFor();
    await page.getByLabel("Filter tuning jobs by name").fill(job);
    await page.getByRole("link", { name: job }).click();
    await page.getByRole("heading", { name: job, level: 1 }).waitFor();
    await page.evaluate(() => (window.__sameDocument = true));
    const status = fact(page, "Status");
    figures.first_status = (await status.textContent()).trim();
    if (figures.first_status === "InProgress") {
      await page.getByRole("button", { name: "Stop", exact: true }).waitFor();
      assert.equal(await page.getByRole("button", { name: "Delete", exact: true }).count(), 0);
    }
    // The chart fills in as children end, without a reload.
    await status.getByText("Completed").waitFor({ timeout: 240000 });
    await page.waitForFunction(() => Number(document.querySelector("figure.objective-chart")?.dataset.points) >= 4, null, {
      timeout: 20000,
    });
    await page.getByRole("button", { name: "Delete", exact: true }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Stop", exact: true }).count(), 0);
    assert.equal(await page.evaluate(() => window.__sameDocument), true, "the page never reloaded");

    const canvas = page.locator("figure.objective-chart canvas").first();
    await canvas.waitFor();
    figures.chart_points = Number(await page.locator("figure.objective-chart").getAttribute("data-points"));
    figures.chart_pixels = await canvas.evaluate((c) => {
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
      return n;
    });
    const best = section(page, "Best training job");
    await best.getByRole("heading").first().evaluate((h) => h.scrollIntoView());
    await screenshot(page, "tuning-job");
    await page.getByLabel("By training end time").check();
    await page.waitForFunction(() => document.querySelector("figure.objective-chart canvas"));
    figures.chart_points_by_end = Number(await page.locator("figure.objective-chart").getAttribute("data-points"));

    figures.counters = await facts(page, "Training jobs");
    figures.best_job = (await best.locator(".facts > div:has(> dt:text-is('Training job')) > dd").textContent()).trim();
    figures.best_value = (await best.locator(".objective-value").first().textContent()).trim();
    figures.best_tuned = await best
      .getByRole("row")
      .evaluateAll((rows) => rows.slice(1).map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent)));
    figures.columns = await page
      .locator('table[aria-label="Training jobs of the tuning job"] thead th')
      .allTextContents();

    await childRows(page).nth(3).waitFor();
    figures.by_objective = await readChildren(page);
    await page.getByLabel("Sort by").selectOption("CreationTime");
    // The creation order is already loaded (the chart reads it): one render.
    await page.waitForTimeout(300);
    figures.by_creation = await readChildren(page);

    // A child's page names its tuning job, linked back.
    const child = figures.by_creation[0].name;
    await childRows(page).first().getByRole("link", { name: child }).click();
    await page.getByRole("heading", { name: child, level: 1 }).waitFor();
    const partOf = page.locator(".part-of");
    figures.part_of = (await partOf.textContent()).trim();
    await partOf.getByRole("link", { name: job }).click();
    await page.getByRole("heading", { name: job, level: 1 }).waitFor();

    // The list's row: strategy and counters.
    await nav(page).getByRole("link", { name: "Hyperparameter tuning jobs" }).click();
    await page.getByLabel("Filter tuning jobs by name").fill(job);
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: job }) });
    await row.waitFor();
    await page.waitForFunction(() => document.querySelectorAll("table.list tbody tr").length === 1);
    figures.list_row = await row.locator("td").allTextContents();
  }

  if (stopJob) {
    await page.goto(`${URL_BASE}/console/tuning-jobs/${stopJob}`);
    await page.getByRole("heading", { name: stopJob, level: 1 }).waitFor();
    await fact(page, "Status").getByText("InProgress").waitFor();
    await page.getByRole("button", { name: "Stop", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Stop tuning job?" });
    await dialog.getByText(stopJob).waitFor();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await page.getByRole("button", { name: "Stop", exact: true }).click();
    await dialog.getByRole("button", { name: "Stop tuning job" }).click();
    await fact(page, "Status").getByText(/^(Stopping|Stopped)$/).waitFor();
    await fact(page, "Status").getByText("Stopped").waitFor({ timeout: 120000 });
    figures.stopped_counters = await facts(page, "Training jobs");
  }

  if (deleteJob) {
    await page.goto(`${URL_BASE}/console/tuning-jobs/${deleteJob}`);
    await page.getByRole("heading", { name: deleteJob, level: 1 }).waitFor();
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: `Delete tuning job ${deleteJob}?` });
    await dialog.getByRole("button", { name: "Delete tuning job" }).click();
    await page.getByRole("heading", { name: "Hyperparameter tuning jobs" }).waitFor();
  }
  noPageErrors(b);
  result(figures);
});
