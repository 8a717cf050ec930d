// The seller's model package flow, entirely in the console: the image from
// the registry picker, the model and test data from the S3 picker, the
// validation profile in the JSON editor, then Create; the page follows the
// validation to Completed and links to its batch transform job.
import assert from "node:assert/strict";
import { need, result, scenario, screenshot, URL_BASE } from "./browser.mjs";
import { editorText, editorTextMatching, pickImage, pickS3, waitForStatus } from "./resources.mjs";

const NAME = need("NAME");
const BUCKET = need("BUCKET");

await scenario(async (page) => {
  await page.goto(`${URL_BASE}/console/model-packages`);
  await page.getByRole("link", { name: "Create model package" }).click();
  await page.getByRole("heading", { name: "Step 1: Inference specification" }).waitFor();

  await page.getByLabel("Model package name").fill(NAME);
  await pickImage(page, "Location of inference image", need("REPO"));
  await pickS3(page, "Location of model data artifacts", BUCKET, ["model"], "model.tar.gz");
  // The instance types and content types start as the sample needs them.
  const batch = page.getByRole("group", { name: "Supported instance types for batch transform" });
  assert.equal(await batch.getByLabel("ml.m5.large", { exact: true }).isChecked(), true);
  assert.equal(await page.getByLabel("Supported content types").inputValue(), "text/csv");
  await page.getByRole("button", { name: "Next" }).click();

  await page.getByRole("heading", { name: "Step 2: Validation specification" }).waitFor();
  const publish = page.getByRole("group", { name: "Publish this model package in AWS Marketplace" });
  assert.equal(await publish.getByLabel("Yes").isChecked(), true);
  // The IAM role: one of the account's roles, already filled in.
  await page.waitForFunction(() => document.querySelector("#validation-role")?.value.startsWith("arn:aws:iam::"));
  // The editor starts from the example profile; the pickers edit it.
  await page.getByLabel("Transform job definition", { exact: true }).waitFor();
  assert.match(await editorText(page, "Transform job definition"), /"InstanceType": "ml.m5.large"/);
  await pickS3(page, "Test data location", BUCKET, ["batch"]);
  await page.getByLabel("Transform output location").fill(`s3://${BUCKET}/validation-output/`);
  const text = await editorTextMatching(page, "Transform job definition",
    new RegExp(`"S3OutputPath": "s3://${BUCKET}/validation-output/"`));
  assert.match(text, new RegExp(`"S3Uri": "s3://${BUCKET}/batch/"`));
  // The screenshot shows the pickers' fields and the editor they edit.
  await page.getByLabel("Test data location").evaluate((el) => el.closest(".field").scrollIntoView({ block: "start" }));
  await screenshot(page, "model-package-create");

  await page.getByRole("button", { name: "Create model package" }).click();
  await page.waitForURL(/\/console\/model-packages\/arn/);
  await page.getByRole("heading", { name: NAME }).waitFor();
  const status = await waitForStatus(page, ["Completed", "Failed"]);
  assert.equal(status, "Completed", await page.locator("main").textContent());

  // Per profile: its status and its batch transform job, linked.
  const row = page.locator("table.validation-statuses tbody tr").first();
  assert.equal((await row.locator(".badge").textContent()).trim(), "Completed");
  const link = row.getByRole("link");
  await link.waitFor();
  const transformJob = (await link.textContent()).trim();
  assert.ok(transformJob.endsWith("-batch"), transformJob);
  await link.click();
  await page.waitForURL(new RegExp(`/console/transform-jobs/${transformJob}$`));

  // The list shows it, Completed.
  await page.goto(`${URL_BASE}/console/model-packages`);
  await page.getByPlaceholder("Find model packages by name").fill(NAME);
  const listed = page.getByRole("row").filter({ has: page.getByRole("link", { name: NAME }) });
  await listed.getByText("Completed").waitFor();
  result({ transformJob });
});
