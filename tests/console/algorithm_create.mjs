// The seller's algorithm flow, entirely in the console: training image from
// the registry, a channel, a hyperparameter with its tuning range, a metric
// and its tuning objective, the inference image, then a validation profile
// (training and transform) with data picked from S3; the page follows the
// validation to Completed and links to its training job.
import assert from "node:assert/strict";
import { need, result, scenario, screenshot, URL_BASE } from "./browser.mjs";
import { editorText, pickImage, pickS3, waitForStatus } from "./resources.mjs";

const NAME = need("NAME");
const BUCKET = need("BUCKET");

await scenario(async (page) => {
  await page.goto(`${URL_BASE}/console/algorithms`);
  await page.getByRole("link", { name: "Create algorithm" }).click();

  // Step 1: the training image and instance types.
  await page.getByRole("heading", { name: "Step 1: Training specification" }).waitFor();
  await page.getByLabel("Algorithm name").fill(NAME);
  const image = await pickImage(page, "Training image", need("REPO"));
  const types = page.getByRole("group", { name: "Training instance types" });
  assert.equal(await types.getByLabel("ml.m5.large", { exact: true }).isChecked(), true);
  await types.getByLabel("Filter training instance types").fill("m5.x");
  await types.getByLabel("ml.m5.xlarge", { exact: true }).check();
  await page.getByRole("button", { name: "Next" }).click();

  // Step 2: one channel, "train", as the sample reads it.
  await page.getByRole("heading", { name: "Step 2: Channel specification" }).waitFor();
  const channel = page.getByRole("group", { name: "Channel 1" });
  assert.equal(await channel.getByLabel("Channel name").inputValue(), "train");
  await channel.getByLabel("Description (optional)").fill("CSV, label first");
  // A second channel, then removed: the list can change.
  await page.getByRole("button", { name: "Add channel" }).click();
  await page.getByRole("group", { name: "Channel 2" }).getByRole("button", { name: "Remove channel 2" }).click();
  assert.equal(await page.getByRole("group", { name: "Channel 2" }).count(), 0);
  await page.getByRole("button", { name: "Next" }).click();

  // Step 3: a hyperparameter with its range; a metric, the tuning objective.
  await page.getByRole("heading", { name: "Step 3: Hyperparameters and metrics" }).waitFor();
  await page.getByRole("button", { name: "Add hyperparameter" }).click();
  const hp = page.getByRole("group", { name: "Hyperparameter 1" });
  await hp.getByLabel("Hyperparameter name").fill("epochs");
  await hp.getByLabel("Type").selectOption("Integer");
  // Next with no range: stopped at the field.
  await page.getByRole("button", { name: "Next" }).click();
  await hp.getByText("Enter the minimum and maximum values").waitFor();
  await hp.getByLabel("Minimum value").fill("1");
  await hp.getByLabel("Maximum value").fill("1000");
  await hp.getByLabel("Default value (optional)").fill("10");
  await hp.getByLabel("Tunable").check();
  await page.getByRole("button", { name: "Add metric" }).click();
  const metric = page.getByRole("group", { name: "Metric 1" });
  await metric.getByLabel("Metric name").fill("train:mse");
  await metric.getByLabel("Regex").fill("train:mse=([0-9.eE+-]+)");
  await metric.getByLabel("Tuning objective").selectOption("Minimize");
  await page.getByRole("button", { name: "Next" }).click();

  // Step 4: the inference image followed the training image.
  await page.getByRole("heading", { name: "Step 4: Inference specification" }).waitFor();
  assert.equal(await page.getByLabel("Location of inference image").inputValue(), image);
  await page.getByRole("button", { name: "Next" }).click();

  // Step 5: validation, both job definitions in editors.
  await page.getByRole("heading", { name: "Step 5: Validation specification" }).waitFor();
  await page.getByLabel("Training job definition", { exact: true }).waitFor();
  await pickS3(page, "Training data location", BUCKET, ["train"]);
  await page.getByLabel("Training output location").fill(`s3://${BUCKET}/algo-output/`);
  await pickS3(page, "Test data location", BUCKET, ["batch"]);
  await page.getByLabel("Transform output location").fill(`s3://${BUCKET}/algo-batch-output/`);
  assert.match(await editorText(page, "Training job definition"), new RegExp(`"S3Uri": "s3://${BUCKET}/train/"`));
  await page.waitForFunction(() => document.querySelector("#validation-role")?.value.startsWith("arn:aws:iam::"));
  await page.getByLabel("Training data location").evaluate((el) => el.closest(".field").scrollIntoView({ block: "start" }));
  await screenshot(page, "algorithm-create");

  await page.getByRole("button", { name: "Create algorithm" }).click();
  await page.waitForURL(new RegExp(`/console/algorithms/${NAME}$`));
  const status = await waitForStatus(page, ["Completed", "Failed"]);
  assert.equal(status, "Completed", await page.locator("main").textContent());

  // The specification as declared, and the validation's jobs, linked.
  await page.getByRole("cell", { name: "epochs" }).waitFor();
  await page.getByRole("cell", { name: "1 – 1000" }).waitFor();
  await page.getByRole("cell", { name: "Minimize" }).waitFor();
  const row = page.locator("table.validation-statuses tbody tr").first();
  const training = row.getByRole("link").filter({ hasText: /-train$/ });
  const transform = row.getByRole("link").filter({ hasText: /-batch$/ });
  await transform.waitFor();
  const trainingJob = (await training.textContent()).trim();
  await training.click();
  await page.waitForURL(new RegExp(`/console/training-jobs/${trainingJob}$`));
  result({ trainingJob });
});
