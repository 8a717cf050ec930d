// Steps the resource scenarios share: the registry and S3 pickers of the
// create forms, the JSON editor, and waiting for a status on a page that
// polls by itself.
import assert from "node:assert/strict";

/** Picks REPO:latest with "Browse images" next to the field labelled `label`. */
export async function pickImage(page, label, repo) {
  const field = page.locator(".field").filter({ has: page.getByLabel(label, { exact: true }) });
  await field.getByRole("button", { name: "Browse images" }).click();
  const browser = field.getByRole("region", { name: "Images in the registry" });
  await browser.getByRole("button", { name: repo, exact: true }).click();
  await browser.getByRole("button", { name: `Use ${repo}:latest` }).click();
  const value = await page.getByLabel(label, { exact: true }).inputValue();
  assert.match(value, new RegExp(`^\\d{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com/${repo}:latest$`));
  return value;
}

/**
 * Picks an S3 location with "Browse S3" next to the field labelled `label`:
 * `path` is the bucket, the folders, then the object (or none, to use the
 * last folder).
 */
export async function pickS3(page, label, bucket, folders, object) {
  const field = page.locator(".field").filter({ has: page.getByLabel(label, { exact: true }) });
  await field.getByRole("button", { name: "Browse S3" }).click();
  const browser = field.getByRole("region", { name: "S3 browser" });
  await browser.getByRole("button", { name: "All buckets" }).click();
  await browser.getByRole("button", { name: bucket, exact: true }).click();
  for (const f of folders) await browser.getByRole("button", { name: `${f}/`, exact: true }).click();
  const prefix = folders.map((f) => `${f}/`).join("");
  if (object) await browser.getByRole("button", { name: `Use ${object}`, exact: true }).click();
  else await browser.getByRole("button", { name: `Use s3://${bucket}/${prefix}`, exact: true }).click();
  const expected = `s3://${bucket}/${prefix}${object ?? ""}`;
  assert.equal(await page.getByLabel(label, { exact: true }).inputValue(), expected);
  return expected;
}

/** The editor's text (CodeMirror keeps it in its lines). */
export async function editorText(page, label) {
  return page.getByLabel(label, { exact: true }).evaluate((el) =>
    [...el.querySelectorAll(".cm-line")].map((l) => l.textContent).join("\n"),
  );
}

/**
 * The editor's text once it matches `pattern` (up to `ms`); fails with the
 * last text otherwise. A field that edits a member of the editor's JSON
 * reaches CodeMirror after React renders, not when `fill` returns: under
 * load (the suite runs test modules in parallel) a read right after the
 * fill can see the text from before it.
 */
export async function editorTextMatching(page, label, pattern, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = await editorText(page, label);
    if (pattern.test(text) || Date.now() > deadline) {
      assert.match(text, pattern);
      return text;
    }
    await page.waitForTimeout(100);
  }
}

/** Replaces the editor's whole text, typed as a person pastes it. */
export async function setEditorText(page, label, text) {
  const editor = page.getByLabel(label, { exact: true });
  await editor.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(text);
}

/** Waits (up to `ms`) until the page's status badge in its Summary reads one of `statuses`; returns it. */
export async function waitForStatus(page, statuses, ms = 240000) {
  const badge = page.locator(".panel").filter({ has: page.getByRole("heading", { name: "Summary" }) }).locator(".badge").first();
  const deadline = Date.now() + ms;
  for (;;) {
    const text = ((await badge.textContent({ timeout: 15000 })) ?? "").trim();
    if (statuses.includes(text)) return text;
    if (Date.now() > deadline) throw new Error(`status still ${text} after ${ms / 1000}s`);
    await page.waitForTimeout(1000);
  }
}
