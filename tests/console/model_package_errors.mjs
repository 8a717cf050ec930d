// Errors where the seller looks: the form's own checks and the API's
// ValidationException under the field they concern (its step opened), and
// the JSON editor checking the validation profile against the API's shapes
// as it is typed, and completing its members.
import assert from "node:assert/strict";
import { need, scenario, URL_BASE } from "./browser.mjs";
import { editorText, setEditorText } from "./resources.mjs";

const BUCKET = need("BUCKET");
const EDITOR = "Transform job definition";

/** The error shown under the field labelled `label`. */
const fieldError = (page, label) =>
  page.locator(".field").filter({ has: page.getByLabel(label, { exact: true }) }).locator(".field-error");

await scenario(async (page) => {
  await page.goto(`${URL_BASE}/console/model-packages/create`);

  // Nothing filled in: Next stays, and says what is missing where.
  await page.getByRole("button", { name: "Next" }).click();
  await fieldError(page, "Model package name").getByText("Enter a model package name.").waitFor();
  await fieldError(page, "Location of inference image").getByText("Enter the location of inference image.").waitFor();
  await page.getByLabel("Model package name").fill("not a valid name!");
  await page.getByRole("button", { name: "Next" }).click();
  await fieldError(page, "Model package name").getByText("letters, digits and hyphens").waitFor();

  // Filled in, with a model data location that is not an S3 URI and an
  // image tag that was never pushed: the API will refuse both.
  await page.getByLabel("Model package name").fill(need("NAME"));
  await page.getByLabel("Location of inference image").fill(need("MISSING_IMAGE"));
  await page.getByLabel("Location of model data artifacts").fill("model.tar.gz");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("heading", { name: "Step 2: Validation specification" }).waitFor();

  // The editor checks as you type.
  await page.getByLabel(EDITOR, { exact: true }).waitFor();
  await setEditorText(
    page,
    EDITOR,
    '{"TransformInputs": {}, "TransformOutput": {"S3OutputPath": "s3://x/y"},\n' +
      ' "TransformResources": {"InstanceType": "ml.m5.larg", "InstanceCount": 0}}',
  );
  const problems = page.locator(".json-problems");
  await problems.getByText('Unknown member "TransformInputs" of TransformJobDefinition. Did you mean "TransformInput"?').waitFor();
  await problems.getByText('"ml.m5.larg" is not a valid TransformInstanceType. Did you mean "ml.m5.large"?').waitFor();
  await problems.getByText("Line 2: Must be at least 1.").waitFor();
  await problems.getByText('Missing required member of TransformJobDefinition: "TransformInput".').waitFor();
  assert.ok((await page.locator(".cm-lintRange-error").count()) >= 3, "lint markers in the text");
  // A create with problems stays on the form, the problem at the editor.
  await page.getByRole("button", { name: "Create model package" }).click();
  await fieldError(page, EDITOR).getByText(/The transform job definition has 4 problems/).waitFor();

  // Completion: the shape's members, with their documentation.
  await setEditorText(page, EDITOR, "{}");
  await page.keyboard.press("ArrowLeft");
  await page.keyboard.type('"Transf');
  const options = page.locator(".cm-tooltip-autocomplete [role=option]");
  await options.filter({ hasText: "TransformResources" }).waitFor();
  // The members starting with what was typed come first, each marked required.
  const labels = await options.locator(".cm-completionLabel").allTextContents();
  assert.deepEqual(labels.slice(0, 3).sort(), ["TransformInput", "TransformOutput", "TransformResources"]);
  await options.first().getByText("required · object").waitFor();
  await page.locator(".cm-completionInfo").getByText("A description of the input source").waitFor();
  await page.keyboard.press("Enter");
  assert.equal((await editorText(page, EDITOR)).replace(/\s/g, ""), '{"TransformInput":{}}');
  // Inside the new object: the members of TransformInput.
  await page.keyboard.press("Control+Space");
  await options.filter({ hasText: "DataSource" }).waitFor();
  await page.keyboard.press("Escape");

  // A valid profile again: the API's turn.
  await setEditorText(
    page,
    EDITOR,
    JSON.stringify({
      TransformInput: { DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: `s3://${BUCKET}/batch/` } }, ContentType: "text/csv" },
      TransformOutput: { S3OutputPath: `s3://${BUCKET}/errors-output/` },
      TransformResources: { InstanceType: "ml.m5.large", InstanceCount: 1 },
    }, null, 2),
  );
  await page.locator(".json-problems li").first().waitFor({ state: "detached" });
  await page.getByRole("button", { name: "Create model package" }).click();
  // A constraint the API checks: shown at the field, its step opened.
  await page.getByRole("heading", { name: "Step 1: Inference specification" }).waitFor();
  await fieldError(page, "Location of model data artifacts").getByText("failed to satisfy constraint").waitFor();
  await page.getByRole("button", { name: /Inference specification \(has errors\)/ }).waitFor();

  // Fixed; then the image the registry does not have, at its field.
  await page.getByLabel("Location of model data artifacts").fill(`s3://${BUCKET}/model/model.tar.gz`);
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Create model package" }).click();
  await page.getByRole("heading", { name: "Step 1: Inference specification" }).waitFor();
  await fieldError(page, "Location of inference image").getByText(/never-pushed in InferenceSpecification.Containers.1.Image cannot be (resolved|found)/).waitFor();
  assert.match(page.url(), /\/model-packages\/create$/);
});
