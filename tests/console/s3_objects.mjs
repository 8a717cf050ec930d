// S3 in the console: create a bucket, a folder, upload files (one PUT and
// one multipart) through the file input with progress, download them and
// compare the bytes, delete with confirmation, and a refusal shown.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { need, result, scenario, screenshot, URL_BASE } from "./browser.mjs";

const BUCKET = need("BUCKET");
const SMALL = need("SMALL_FILE"); // a few MB: one presigned PUT
const LARGE = need("LARGE_FILE"); // over 8 MB: a multipart upload

await scenario(async (page) => {
  await page.goto(`${URL_BASE}/console/s3`);
  await page.getByRole("heading", { name: "S3 buckets" }).waitFor();

  // A bad name is refused at its field, in S3's words.
  await page.getByRole("button", { name: "Create bucket" }).click();
  const form = page.getByRole("form", { name: "Create bucket" });
  await form.getByLabel("Bucket name").fill("Not_A_Valid_Name");
  await form.getByRole("button", { name: "Create bucket" }).click();
  await form.locator(".field-error").getByText("InvalidBucketName").waitFor();

  await form.getByLabel("Bucket name").fill(BUCKET);
  await form.getByRole("button", { name: "Create bucket" }).click();
  await page.getByRole("link", { name: BUCKET }).click();
  await page.getByRole("heading", { name: BUCKET }).waitFor();
  await page.getByText("No objects in this folder.").waitFor();

  // A folder, then into it (the breadcrumb names it).
  await page.getByRole("button", { name: "Create folder" }).click();
  const folderForm = page.getByRole("form", { name: "Create folder" });
  await folderForm.getByLabel("Folder name").fill("models");
  await folderForm.getByRole("button", { name: "Create folder" }).click();
  await page.getByRole("link", { name: "models/" }).click();
  await page.getByRole("heading", { name: "models/" }).waitFor();
  assert.match(page.url(), /\/console\/s3\/[^?]+\?prefix=models%2F$/);
  const crumbs = page.getByRole("navigation", { name: "Breadcrumb" });
  assert.equal(await crumbs.getByRole("link", { name: BUCKET }).count(), 1);

  // Upload both files at once through the file input, on a link slowed
  // down (Chromium's network emulation) so that the progress bars are seen
  // part-way: progress is counted in bytes sent, not in finished requests.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  const throttle = (bytesPerSecond) =>
    cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: bytesPerSecond,
    });
  await throttle(4 * 1024 * 1024);
  const started = Date.now();
  await page.getByLabel("Files to upload").setInputFiles([SMALL, LARGE]);
  const uploads = page.getByRole("list", { name: "Uploads" });
  const seen = {};
  for (const f of [SMALL, LARGE]) {
    const bar = uploads.getByRole("progressbar", { name: `Upload of models/${basename(f)}` });
    await bar.waitFor();
    // The first fraction other than 0 the bar shows (1 if it jumped to done).
    seen[basename(f)] = await bar.evaluate(
      (b) =>
        new Promise((resolve) => {
          const until = Date.now() + 20000;
          const tick = () => (b.value > 0 || Date.now() > until ? resolve(b.value / b.max) : setTimeout(tick, 5));
          tick();
        }),
    );
    assert.ok(seen[basename(f)] > 0 && seen[basename(f)] < 1, `${basename(f)}: no progress part-way (${seen[basename(f)]})`);
  }
  await throttle(-1);
  for (const f of [SMALL, LARGE]) {
    const size = readFileSync(f).length;
    const bar = uploads.getByRole("progressbar", { name: `Upload of models/${basename(f)}` });
    const row = uploads.getByRole("listitem").filter({ hasText: `models/${basename(f)}` });
    await row.getByText(/^Uploaded \(/).waitFor({ timeout: 60000 });
    assert.equal(await bar.getAttribute("max"), String(size));
    assert.equal(await bar.evaluate((b) => b.value), size);
  }
  const uploadMs = Date.now() - started;

  // Listed in the folder, with their sizes.
  const table = page.locator("table.objects");
  for (const f of [SMALL, LARGE]) await table.getByRole("cell", { name: basename(f), exact: true }).waitFor();
  await table.getByRole("cell", { name: "3.0 MB" }).waitFor();
  await table.getByRole("cell", { name: "20.0 MB" }).waitFor();
  await screenshot(page, "s3-objects");

  // Download each and compare the bytes with what was uploaded.
  for (const f of [SMALL, LARGE]) {
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: `Download ${basename(f)}` }).click(),
    ]);
    assert.equal(download.suggestedFilename(), basename(f));
    const got = readFileSync(await download.path());
    assert.ok(got.equals(readFileSync(f)), `${basename(f)}: the downloaded bytes differ from the uploaded ones`);
  }

  // Uploading the large file again, cancelled part-way: the multipart
  // upload is aborted and the object keeps its first bytes (checked by the
  // test with boto3).
  await throttle(1024 * 1024);
  await page.getByLabel("Files to upload").setInputFiles(LARGE);
  const again = uploads.getByRole("listitem").filter({ has: page.getByRole("button", { name: /^Cancel upload/ }) });
  const againBar = again.getByRole("progressbar");
  await page.waitForFunction((b) => b.value > 0, await againBar.elementHandle());
  await again.getByRole("button", { name: `Cancel upload of models/${basename(LARGE)}` }).click();
  await uploads.getByText("Cancelled (20.0 MB)").waitFor();
  await throttle(-1);

  // Delete one, with confirmation; Cancel first keeps it.
  await page.getByRole("button", { name: `Delete ${basename(SMALL)}` }).click();
  const dialog = page.getByRole("dialog", { name: `Delete ${basename(SMALL)}?` });
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await dialog.waitFor({ state: "hidden" });
  await page.getByRole("button", { name: `Delete ${basename(SMALL)}` }).click();
  await dialog.getByRole("button", { name: "Delete object" }).click();
  await table.getByRole("cell", { name: basename(SMALL), exact: true }).waitFor({ state: "detached" });

  // Back to the bucket by the breadcrumb; it is not empty, so S3 refuses
  // to delete it and the dialog says why.
  await crumbs.getByRole("link", { name: "S3 buckets" }).click();
  await page.getByRole("button", { name: `Delete bucket ${BUCKET}` }).click();
  const bucketDialog = page.getByRole("dialog", { name: `Delete bucket ${BUCKET}?` });
  await bucketDialog.getByRole("button", { name: "Delete bucket" }).click();
  await bucketDialog.getByRole("alert").getByText("BucketNotEmpty").waitFor();
  await bucketDialog.getByRole("button", { name: "Cancel" }).click();

  result({ upload_ms: uploadMs, part_way: seen });
});
