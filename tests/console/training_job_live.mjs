// A training job seen while it runs: its metric plot grows and its log
// lines appear without reloading; once Completed, its status history is
// complete and the model artifact downloads as a gzipped tar.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { need, result, scenario, screenshot, URL_BASE } from "./browser.mjs";
import { fact, noPageErrors, plotPoints, waitForPoints } from "./jobs_common.mjs";

const job = need("JOB");
const lines = Number(need("LINES"));
const metric = need("METRIC");

await scenario(async (page, b) => {
  await page.goto(`${URL_BASE}/console/training-jobs/${job}`);
  await page.getByRole("heading", { name: job }).waitFor();
  // Set once: still there at the end means no reload happened.
  await page.evaluate(() => (window.__sameDocument = true));
  await fact(page, "Status").getByText("InProgress").waitFor();
  await page.getByRole("button", { name: "Stop", exact: true }).waitFor();
  await page.getByText("Live: new lines appear as the job writes them.").waitFor();

  // The plot (a uPlot canvas) grows while the job runs.
  await waitForPoints(page, metric, 3, 60000);
  const early = await plotPoints(page, metric);
  assert.equal(await page.locator(`figure.metric[data-metric="${metric}"] canvas`).count() > 0, true, "a uPlot canvas");
  const earlyLog = await page.getByRole("log").textContent();
  assert.match(earlyLog, /epoch \d+ of/);
  await page.getByRole("heading", { name: "Status history" }).evaluate((h) => h.scrollIntoView());
  await screenshot(page, "training-job");
  await waitForPoints(page, metric, early + 3, 60000);
  await page.getByRole("log").getByText(`epoch ${lines} of ${lines}`).waitFor({ timeout: 60000 });
  const grown = await plotPoints(page, metric);

  // Completed: every value, the full history, the artifact.
  await fact(page, "Status").getByText("Completed").waitFor({ timeout: 90000 });
  await page.getByText("The job has ended; this is its whole log.").waitFor();
  await page.getByRole("log").getByText("training complete").waitFor();
  assert.equal(await plotPoints(page, metric), lines);
  assert.equal(await page.getByRole("button", { name: "Stop", exact: true }).count(), 0);
  const steps = await page.locator("ol.timeline li .badge").allTextContents();
  assert.deepEqual(steps, ["Starting", "Downloading", "Training", "Uploading", "Completed"]);
  const final = page.getByRole("table", { name: "Final metric values" }).getByRole("row", { name: metric });
  assert.match(await final.textContent(), new RegExp(`${metric}${need("FINAL_VALUE")}`));

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Download model artifact" }).click(),
  ]);
  assert.equal(download.suggestedFilename(), "model.tar.gz");
  const bytes = readFileSync(await download.path());
  assert.ok(bytes.length > 0, "a non-empty download");
  const tar = gunzipSync(bytes);
  assert.ok(tar.includes(Buffer.from("model.txt")), "the tar holds the job's model.txt");
  assert.equal(await page.evaluate(() => window.__sameDocument), true, "the page never reloaded");
  noPageErrors(b);
  result({ early_points: early, grown_points: grown, artifact_bytes: bytes.length });
});
