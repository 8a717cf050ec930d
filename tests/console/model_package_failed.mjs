// A model package whose validation failed: the reason is the first thing
// on its page, and the failing profile's row says it too.
import assert from "node:assert/strict";
import { need, scenario, screenshot, URL_BASE } from "./browser.mjs";

const NAME = need("NAME");
const REASON = need("REASON");

await scenario(async (page) => {
  await page.goto(`${URL_BASE}/console/model-packages`);
  // Newest first: this one, Failed, at the top of the list (with whatever else the account has).
  const top = page.getByRole("row").nth(1);
  await top.getByRole("link", { name: NAME }).waitFor();
  await top.getByText("Failed").waitFor();
  await screenshot(page, "model-packages");
  await page.getByPlaceholder("Find model packages by name").fill(NAME);
  await page.getByRole("link", { name: NAME }).click();
  const banner = page.getByRole("alert").filter({ hasText: "Validation of this model package failed." });
  await banner.waitFor();
  assert.ok((await banner.textContent()).includes(REASON), await banner.textContent());
  // Above the fold: the banner comes before the summary.
  const box = await banner.boundingBox();
  assert.ok(box && box.y < 300, `the failure reason is at y=${box?.y}`);
  const row = page.locator("table.validation-statuses tbody tr").first();
  assert.equal((await row.locator(".badge").textContent()).trim(), "Failed");
  await row.getByRole("link", { name: /-batch$/ }).waitFor();
  await screenshot(page, "model-package-failed");
});
