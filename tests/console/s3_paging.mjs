// A folder of more objects than a page holds: S3's ContinuationToken pages,
// forward and back; a sub-folder comes in S3's key order ("sub/" after
// "obj-…"), so on the last page.
import assert from "node:assert/strict";
import { need, scenario, URL_BASE } from "./browser.mjs";

const BUCKET = need("BUCKET");
const COUNT = Number(need("COUNT"));
const PAGE = 200;

await scenario(async (page) => {
  await page.goto(`${URL_BASE}/console/s3/${BUCKET}?prefix=${encodeURIComponent("many/")}`);
  const rows = page.locator("table.objects tbody tr");
  const pager = page.getByRole("navigation", { name: "Pages" });
  await page.getByRole("cell", { name: "obj-0000.txt", exact: true }).waitFor();
  assert.equal(await rows.count(), PAGE);
  assert.equal(await page.getByRole("link", { name: "sub/" }).count(), 0);
  await pager.getByRole("button", { name: "Next" }).click();
  await pager.getByText("Page 2").waitFor();
  const last = `obj-${String(COUNT - 1).padStart(4, "0")}.txt`;
  await page.getByRole("cell", { name: last, exact: true }).waitFor();
  await page.getByRole("link", { name: "sub/" }).waitFor();
  assert.equal(await rows.count(), COUNT + 1 - PAGE);
  assert.equal(await pager.getByRole("button", { name: "Next" }).isDisabled(), true);
  await pager.getByRole("button", { name: "Previous" }).click();
  await page.getByRole("cell", { name: "obj-0000.txt", exact: true }).waitFor();
  await pager.getByRole("button", { name: "Next" }).click();
  // Into the sub-folder: paging starts again.
  await page.getByRole("link", { name: "sub/" }).click();
  await pager.getByText("Page 1").waitFor();
  await page.getByRole("cell", { name: "inner.txt", exact: true }).waitFor();
});
