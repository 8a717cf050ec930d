// Publishing in AWS Marketplace from the console: a certified, validated
// model package (NAME) is validated-only, then published with the Publish
// form; the change set's page follows it to SUCCEEDED; the product's page
// shows the version, the marketplace's copy (another account than ACCOUNT)
// and the prices; buyer accounts are set, the product made public, a
// second version added from SECOND (pricing its new instance type NEW_KEY)
// and the first restricted, each a change set. A package not certified (PLAIN) says why it cannot be
// published. The failed change set FAILED_ID (sent with boto3; FAILED is
// its DescribeChangeSet) shows each error at its change; the change set
// list filters by status.
import assert from "node:assert/strict";
import { need, result, scenario, screenshot, URL_BASE } from "./browser.mjs";

const NAME = need("NAME");
const PLAIN = need("PLAIN");
const TITLE = need("TITLE");
const ACCOUNT = need("ACCOUNT");
const PACKAGE_ARN = need("PACKAGE_ARN");
const PRICES = JSON.parse(need("PRICES"));
const BUYERS = need("BUYERS").split(",");
const FAILED_ID = need("FAILED_ID");
const FAILED = JSON.parse(need("FAILED"));
const SECOND = need("SECOND");
const NEW_KEY = need("NEW_KEY");
const NEW_PRICE = need("NEW_PRICE");

const packagePage = (name) => `${URL_BASE}/console/model-packages/${encodeURIComponent(name)}`;

/** The value of a fact (dt/dd) inside `scope`, by its label. */
async function fact(scope, label) {
  const dd = scope.locator("dl.facts > div").filter({ has: scope.page().locator(`dt:text-is("${label}")`) }).locator("dd");
  return (await dd.first().textContent()).trim();
}

/** Waits for the change set page's status to be final (it polls by itself); returns it. */
async function finalStatus(page) {
  const done = ["SUCCEEDED", "FAILED", "CANCELLED"];
  const handle = await page.waitForFunction(
    (done) => {
      const b = document.querySelector(".change-set-summary .badge");
      return b && done.includes(b.textContent.trim()) ? b.textContent.trim() : null;
    },
    done,
    { timeout: 120_000 },
  );
  return handle.jsonValue();
}

/** Opens the Publish form from the package's page and fills it in. */
async function fillPublishForm(page, { validateOnly }) {
  await page.goto(packagePage(NAME));
  const section = page.locator("section.panel").filter({ has: page.getByRole("heading", { name: "AWS Marketplace", exact: true }) });
  await section.getByRole("link", { name: "Publish in AWS Marketplace" }).click();
  await page.getByRole("heading", { name: `Publish ${NAME} in AWS Marketplace` }).waitFor();
  await page.getByLabel("Product title").fill(TITLE);
  await page.getByLabel("Short description").fill("Predicts y from two features.");
  await page.getByLabel("Long description").fill("A linear model trained on the sample seller's data.\nBatch and real-time.");
  await page.getByLabel("Highlights").fill("Fast\nSmall");
  await page.getByLabel("Version title").fill("1.0");
  await page.getByLabel("Release notes").fill("The first version.");
  await page.getByLabel("Usage instructions").fill("POST text/csv rows of two numbers; get one number per row.");
  // Only the package's supported types are offered.
  const batch = page.getByLabel("Recommended batch transform instance type");
  assert.deepEqual((await batch.locator("option").allTextContents()).sort(), ["ml.c5.xlarge", "ml.m5.large"]);
  await batch.selectOption("ml.c5.xlarge");
  await page.getByLabel("An hourly price per instance type").check();
  const rows = page.locator("table.pricing tbody tr");
  assert.deepEqual((await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.dimension))).sort(), Object.keys(PRICES).sort());
  for (const [key, price] of Object.entries(PRICES)) await page.getByLabel(`Price of ${key}`).fill(price);
  if (validateOnly) await page.getByRole("checkbox", { name: /Validate only/ }).check();
}

await scenario(async (page) => {
  // 1. Not certified: no Publish button, the reason instead.
  await page.goto(packagePage(PLAIN));
  const why = page.locator(".cannot-publish");
  await why.waitFor();
  assert.ok((await why.textContent()).includes("created without CertifyForMarketplace"), await why.textContent());
  assert.equal(await page.getByRole("link", { name: "Publish in AWS Marketplace" }).count(), 0);

  // 2. A bad price is refused at its field before anything is sent.
  await fillPublishForm(page, { validateOnly: true });
  const firstKey = Object.keys(PRICES)[0];
  await page.getByLabel(`Price of ${firstKey}`).fill("twelve");
  await page.getByRole("button", { name: "Validate" }).click();
  await page.locator(`tr[data-dimension="${firstKey}"] .field-error`).waitFor();
  assert.ok(page.url().includes("/marketplace/publish/"), "a bad price must not send the change set");
  await page.getByLabel(`Price of ${firstKey}`).fill(PRICES[firstKey]);
  await screenshot(page, "marketplace-publish");

  // 3. Validate only: a change set with Intent VALIDATE that succeeds.
  await page.getByRole("button", { name: "Validate" }).click();
  await page.waitForURL(/\/marketplace\/change-sets\/[^/]+$/);
  const validateId = decodeURIComponent(page.url().split("/").pop());
  assert.equal(await finalStatus(page), "SUCCEEDED");
  assert.equal(await fact(page.locator("main"), "Intent"), "Validate only (nothing is created)");

  // 4. Publish for real: one change set of eight changes.
  await fillPublishForm(page, { validateOnly: false });
  await page.getByRole("button", { name: "Publish", exact: true }).click();
  await page.waitForURL(/\/marketplace\/change-sets\/[^/]+$/);
  const publishId = decodeURIComponent(page.url().split("/").pop());
  assert.notEqual(publishId, validateId);
  assert.equal(await finalStatus(page), "SUCCEEDED");
  const types = await page.locator("ol.changes > li").evaluateAll((lis) => lis.map((li) => li.dataset.changeType));
  assert.deepEqual(types, ["CreateProduct", "UpdateInformation", "AddDeliveryOptions", "CreateOffer", "UpdatePricingTerms", "UpdateLegalTerms", "ReleaseProduct", "ReleaseOffer"]);
  assert.equal(await page.locator(".change-errors").count(), 0);
  // The details document, read-only, as sent.
  const delivery = page.locator('li[data-change-type="AddDeliveryOptions"]');
  await delivery.locator("summary", { hasText: "Details document" }).click();
  const sent = JSON.parse(await delivery.locator("pre.json-view").textContent());
  const details = sent.DeliveryOptions[0].Details.SageMakerModelPackageDeliveryOptionDetails;
  assert.equal(details.SageMakerModelPackageArn, PACKAGE_ARN);
  assert.equal(details.RecommendedInstanceTypes.BatchTransform, "ml.c5.xlarge");
  await screenshot(page, "marketplace-change-set");

  // 5. The product, from the change that created it.
  await page.locator('li[data-change-type="CreateProduct"] .change-entity a').click();
  await page.getByRole("heading", { name: TITLE, level: 1 }).waitFor();
  const productId = decodeURIComponent(page.url().split("/").pop());
  assert.match(productId, /^prod-/);
  const main = page.locator("main");
  assert.equal(await fact(main, "Visibility"), "Limited");
  const version = page.locator('.version[data-version="1.0"]');
  await version.waitFor();
  const sourceArn = (await version.locator(".source-arn").textContent()).trim();
  assert.match(sourceArn, /^arn:aws:sagemaker:[^:]+:\d{12}:model-package\//);
  assert.notEqual(sourceArn.split(":")[4], ACCOUNT, "the version's source is the marketplace's copy, in its own account");
  assert.notEqual(sourceArn, PACKAGE_ARN);
  const batchTypes = await version.locator('.types[data-use="Batch transform"] .tag').allTextContents();
  assert.deepEqual(batchTypes.sort(), ["ml.c5.xlarge", "ml.m5.large"]);
  // The offer's prices per dimension.
  for (const [key, price] of Object.entries(PRICES)) {
    const cell = page.locator(`table.prices tr[data-dimension="${key}"] td.price`);
    assert.equal(Number((await cell.textContent()).trim()), Number(price), key);
  }
  await screenshot(page, "marketplace-product");

  // 6. Buyer accounts, then public: each a change set, followed to SUCCEEDED.
  await page.getByLabel("Buyer accounts").fill("12345");
  await page.getByRole("button", { name: "Save buyer accounts" }).click();
  await page.getByText("“12345” is not a 12-digit AWS account ID.").waitFor();
  await page.getByLabel("Buyer accounts").fill(BUYERS.join("\n"));
  await page.getByRole("button", { name: "Save buyer accounts" }).click();
  await page.waitForURL(/\/marketplace\/change-sets\/[^/]+$/);
  assert.equal(await finalStatus(page), "SUCCEEDED");
  await page.goto(`${URL_BASE}/console/marketplace/products/${encodeURIComponent(productId)}`);
  await page.getByRole("button", { name: "Make public" }).click();
  await page.waitForURL(/\/marketplace\/change-sets\/[^/]+$/);
  assert.equal(await finalStatus(page), "SUCCEEDED");
  await page.goto(`${URL_BASE}/console/marketplace/products/${encodeURIComponent(productId)}`);
  await page.getByRole("heading", { name: TITLE, level: 1 }).waitFor();
  assert.equal(await fact(main, "Visibility"), "Public");
  assert.equal(await page.getByRole("button", { name: "Make public" }).count(), 0);
  assert.deepEqual(
    (await page.getByLabel("Buyer accounts").inputValue()).split("\n").sort(),
    [...BUYERS].sort(),
  );

  // 7. A second version from another package, whose new batch type needs
  // a price; then the first version restricted. Each a change set.
  await page.getByRole("link", { name: "Add a version" }).click();
  await page.getByLabel("Model package", { exact: true }).selectOption(SECOND);
  await page.getByLabel("Version title").fill("2.0");
  await page.getByLabel("Release notes").fill("Also on ml.m5.xlarge.");
  await page.getByLabel("Usage instructions").fill("As in 1.0.");
  const newRows = await page.locator("table.pricing tbody tr").evaluateAll((trs) => trs.map((tr) => tr.dataset.dimension));
  assert.deepEqual(newRows, [NEW_KEY], "only the dimension the offer has no price for is asked");
  await page.getByLabel(`Price of ${NEW_KEY}`).fill(NEW_PRICE);
  await page.getByRole("button", { name: "Add version" }).click();
  await page.waitForURL(/\/marketplace\/change-sets\/[^/]+$/);
  assert.equal(await finalStatus(page), "SUCCEEDED");
  assert.deepEqual(await page.locator("ol.changes > li").evaluateAll((lis) => lis.map((li) => li.dataset.changeType)), [
    "AddDeliveryOptions",
    "UpdatePricingTerms",
  ]);
  await page.goto(`${URL_BASE}/console/marketplace/products/${encodeURIComponent(productId)}`);
  await page.locator('.version[data-version="2.0"]').waitFor();
  assert.equal(Number((await page.locator(`table.prices tr[data-dimension="${NEW_KEY}"] td.price`).textContent()).trim()), Number(NEW_PRICE));
  await page.getByRole("button", { name: "Restrict version 1.0" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Restrict version" }).click();
  await page.waitForURL(/\/marketplace\/change-sets\/[^/]+$/);
  assert.equal(await finalStatus(page), "SUCCEEDED");
  await page.goto(`${URL_BASE}/console/marketplace/products/${encodeURIComponent(productId)}`);
  const first = page.locator('.version[data-version="1.0"]');
  await first.waitFor();
  assert.equal((await first.locator("table.delivery-options tbody .badge").first().textContent()).trim(), "Restricted");
  assert.equal(await page.getByRole("button", { name: "Restrict version 1.0" }).count(), 0);

  // 8. The products list has it.
  await page.goto(`${URL_BASE}/console/marketplace/products`);
  await page.getByRole("link", { name: TITLE }).waitFor();

  // 9. The failed change set: the error at the change it concerns.
  await page.goto(`${URL_BASE}/console/marketplace/change-sets/${encodeURIComponent(FAILED_ID)}`);
  assert.equal(await finalStatus(page), "FAILED");
  await page.locator(".failure-reason").waitFor();
  const items = page.locator("ol.changes > li");
  assert.equal(await items.count(), FAILED.ChangeSet.length);
  for (let i = 0; i < FAILED.ChangeSet.length; i++) {
    const c = FAILED.ChangeSet[i];
    const item = items.nth(i);
    assert.equal(await item.getAttribute("data-change-type"), c.ChangeType);
    const errs = c.ErrorDetailList ?? [];
    assert.equal(await item.locator(".change-errors li").count(), errs.length, c.ChangeType);
    for (let j = 0; j < errs.length; j++) {
      const li = item.locator(".change-errors li").nth(j);
      assert.equal((await li.locator(".error-code").textContent()).trim(), errs[j].ErrorCode);
      assert.equal((await li.locator(".error-message").textContent()).trim(), errs[j].ErrorMessage.trim());
    }
  }
  await page.locator('li[data-change-type="AddDeliveryOptions"] .error-code', { hasText: "INVALID_RECOMMENDED_INSTANCE_TYPE" }).waitFor();
  await screenshot(page, "marketplace-failed-change-set");

  // 10. The change set list, newest first, filtered by status.
  await page.goto(`${URL_BASE}/console/marketplace/change-sets`);
  const rowOf = (id) => page.locator("table.list tbody tr").filter({ has: page.locator(`a[href$="/change-sets/${encodeURIComponent(id)}"]`) });
  await rowOf(publishId).waitFor();
  await page.getByLabel("Filter change sets by status").selectOption("FAILED");
  await rowOf(FAILED_ID).waitFor();
  await page.waitForFunction(() => ![...document.querySelectorAll("table.list tbody .badge")].some((b) => b.textContent.trim() !== "FAILED"));
  assert.equal(await rowOf(publishId).count(), 0);

  result({ validateId, publishId, productId, sourceArn });
});
