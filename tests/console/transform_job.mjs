// A batch transform job's page: its settings, the model it used (a link to
// the model's page), its output objects (downloadable) and its log.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { need, scenario, screenshot, URL_BASE } from "./browser.mjs";
import { fact, noPageErrors } from "./jobs_common.mjs";

const job = need("JOB");
const model = need("MODEL");
const outputs = JSON.parse(need("OUTPUTS"));

await scenario(async (page, b) => {
  await page.goto(`${URL_BASE}/console/transform-jobs`);
  await page.getByLabel("Filter batch transform jobs by name").fill(job);
  await page.getByRole("link", { name: job }).click();

  await page.getByRole("heading", { name: job }).waitFor();
  await fact(page, "Status").getByText("Completed").waitFor({ timeout: 60000 });
  assert.equal(await fact(page, "Split type").textContent(), "Line");
  assert.equal(await fact(page, "Batch strategy").textContent(), "MultiRecord");
  const table = page.getByRole("table", { name: "Output objects" });
  for (const name of Object.keys(outputs)) await table.getByRole("cell", { name, exact: true }).waitFor();
  assert.equal(await table.locator("tbody tr").count(), Object.keys(outputs).length);
  await page.getByRole("log").getByText(/serve/).first().waitFor({ timeout: 30000 });
  await screenshot(page, "transform-job");

  // An output downloads with exactly its content.
  const [name, body] = Object.entries(outputs)[0];
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    table.getByRole("link", { name: `Download ${name}` }).click(),
  ]);
  assert.equal(readFileSync(await download.path(), "utf8"), body);

  // The model: its container.
  await page.getByRole("link", { name: model }).click();
  await page.getByRole("heading", { name: model }).waitFor();
  assert.equal(await fact(page, "Image").textContent(), need("IMAGE"));
  assert.equal(await fact(page, "Network isolation").textContent(), "Disabled");
  await page.getByRole("cell", { name: "SAMPLE_MODE" }).waitFor();
  noPageErrors(b);
});
