// Marketplace usage in the console (docs/console.md "Usage"), one side per
// run, signed in as the account the step is for:
//   STEP=buyer  the Subscriptions page's Usage link of AGREEMENT opens the
//               agreement's usage: one row per line of LINES (JSON, the
//               GetUsage answer's lines, in order) with its type, dimension
//               and amount, and the total. RESULT {csv}: the download.
//   STEP=seller PRODUCT_ID's product page, Usage: the buyer's lines of
//               LINES under "My buyers' usage" with the buyer's account,
//               the seller's own runs under their own heading at 0.
//               RESULT {csv}.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { need, result, scenario, screenshot, URL_BASE } from "./browser.mjs";

const STEP = need("STEP");
const LINES = JSON.parse(need("LINES"));

/** The rows of a usage table match `lines`, in order, and its total their sum. */
async function checkTable(table, lines, { total = true } = {}) {
  await table.waitFor();
  const rows = table.locator("tbody tr");
  assert.equal(await rows.count(), lines.length);
  for (const [i, line] of lines.entries()) {
    const row = rows.nth(i);
    assert.equal(await row.getAttribute("data-type"), line.UsageType);
    assert.equal(await row.getAttribute("data-dimension"), line.Dimension);
    assert.equal(Number(await row.locator("td.amount").getAttribute("data-value")), line.Amount);
    assert.equal(Number(await row.locator("td.quantity").getAttribute("data-value")), line.Quantity);
  }
  if (total) {
    const sum = lines.reduce((n, l) => n + l.Amount, 0);
    const shown = Number(await table.locator('tfoot tr.total[data-currency="USD"] td.amount').getAttribute("data-value"));
    assert.ok(Math.abs(shown - sum) < 1e-9, `total ${shown}, lines sum to ${sum}`);
  }
}

/** Clicks "Download CSV" and answers the file's text. */
async function download(page) {
  const [file] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download CSV" }).click()]);
  return readFile(await file.path(), "utf8");
}

const steps = {
  async buyer(page) {
    const AGREEMENT = need("AGREEMENT");
    await page.getByRole("navigation").getByRole("link", { name: "Subscriptions" }).click();
    const row = page.locator(`table.subscriptions[data-role="Buyer"] tr[data-agreement="${AGREEMENT}"]`);
    await row.getByRole("link", { name: "Usage" }).click();
    await page.getByRole("heading", { name: "Usage", level: 1 }).waitFor();
    assert.ok(page.url().endsWith(`/marketplace/usage?agreement=${AGREEMENT}`), page.url());
    await checkTable(page.locator('table.usage-lines[data-side="Buyer"]'), LINES);
    // The buyer sells nothing here: no seller's tables.
    assert.equal(await page.locator('table.usage-lines[data-side="Seller"], table.usage-lines[data-side="Own"]').count(), 0);
    // The training line links to the buyer's own job.
    const training = page.locator('table.usage-lines tr[data-type="Training"]').getByRole("link", { name: need("TRAINING_JOB") });
    await training.waitFor();
    await screenshot(page, "marketplace-usage-buyer");
    result({ csv: await download(page) });
  },

  async seller(page) {
    const PRODUCT_ID = need("PRODUCT_ID");
    const BUYER = need("BUYER");
    await page.goto(`${URL_BASE}/console/marketplace/products/${encodeURIComponent(PRODUCT_ID)}`);
    await page.locator("main").getByRole("link", { name: "Usage", exact: true }).click();
    await page.getByRole("heading", { name: "Usage", level: 1 }).waitFor();
    const buyers = LINES.filter((l) => !l.SellersOwnUse);
    const table = page.locator('table.usage-lines[data-side="Seller"]');
    await checkTable(table, buyers);
    for (const party of await table.locator("code.party").allTextContents()) assert.equal(party.trim(), BUYER);
    await checkTable(page.locator('table.usage-lines[data-side="Own"]'), LINES.filter((l) => l.SellersOwnUse), { total: false });
    for (const amount of await page.locator('table.usage-lines[data-side="Own"] td.amount').allTextContents()) {
      assert.equal(amount.trim(), "0.00 USD");
    }
    await screenshot(page, "marketplace-usage-seller");
    result({ csv: await download(page) });
  },
};

if (!steps[STEP]) throw new Error(`no step ${STEP}`);
await scenario(steps[STEP]);
