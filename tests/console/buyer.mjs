// The buyer's side of the Marketplace in the console, one step per run
// (the pytest test checks each with boto3 in between), signed in as the
// account the step is for:
//   STEP=subscribe   (the targeted buyer) the Catalog lists TITLE with its
//                    seller SELLER; its page shows the version, the copy's
//                    ARN COPY_ARN and the prices PRICES; Subscribe shows
//                    the agreement and how to use the copy; Subscriptions
//                    lists it ACTIVE. RESULT {agreement}.
//   STEP=seller      (the seller) Subscriptions shows BUYER subscribed to
//                    PRODUCT_ID under agreement AGREEMENT.
//   STEP=unsubscribe (the buyer) Unsubscribe, confirmed: the page says the
//                    subscription ended and offers Subscribe again.
//   STEP=outsider    (an account not targeted) the Catalog does not list
//                    PRODUCT_ID and a deep link to it says "not found".
import assert from "node:assert/strict";
import { need, result, scenario, screenshot, URL_BASE } from "./browser.mjs";

const STEP = need("STEP");
const PRODUCT_ID = need("PRODUCT_ID");
const listing = `${URL_BASE}/console/marketplace/catalog/${encodeURIComponent(PRODUCT_ID)}`;

/** The value of a fact (dt/dd) inside `scope`, by its label. */
async function fact(scope, label) {
  const dd = scope.locator("dl.facts > div").filter({ has: scope.page().locator(`dt:text-is("${label}")`) }).locator("dd");
  return (await dd.first().textContent()).trim();
}

const steps = {
  async subscribe(page) {
    const TITLE = need("TITLE");
    const SELLER = need("SELLER");
    const COPY_ARN = need("COPY_ARN");
    const PRICES = JSON.parse(need("PRICES"));
    // The catalog, from the navigation.
    await page.getByRole("navigation").getByRole("link", { name: "Catalog" }).click();
    const row = page.locator("table.list tbody tr").filter({ has: page.getByRole("link", { name: TITLE }) });
    await row.waitFor();
    assert.equal((await row.locator("code.seller").textContent()).trim(), SELLER);
    assert.equal((await row.locator(".badge").first().textContent()).trim(), "Limited");
    await screenshot(page, "marketplace-catalog");
    await row.getByRole("link", { name: TITLE }).click();
    await page.getByRole("heading", { name: TITLE, level: 1 }).waitFor();
    assert.equal(decodeURIComponent(page.url().split("/").pop()), PRODUCT_ID);
    const main = page.locator("main");
    assert.equal(await fact(main, "Seller account"), SELLER);
    // The version: its copy's ARN and instance types.
    const version = page.locator('.version[data-version="1.0"]');
    await version.waitFor();
    assert.equal((await version.locator(".source-arn").textContent()).trim(), COPY_ARN);
    assert.equal(await fact(version, "Release notes"), "First release.");
    assert.deepEqual((await version.locator('.types[data-use="Batch transform"] .tag').allTextContents()).sort(), ["ml.m5.large", "ml.m5.xlarge"]);
    assert.equal((await version.locator('.recommended[data-use="BatchTransform"] code').textContent()).trim(), "ml.m5.large");
    assert.equal(await version.locator(".restricted-note").count(), 0);
    // The released offer's prices, per dimension.
    for (const [key, price] of Object.entries(PRICES)) {
      const cell = page.locator(`table.prices tr[data-dimension="${key}"] td.price`);
      assert.equal(Number((await cell.textContent()).trim()), Number(price), key);
    }
    // Not subscribed yet: no usage shown.
    await page.locator(".not-subscribed").waitFor();
    assert.equal(await page.getByRole("heading", { name: "How to use it" }).count(), 0);
    await page.getByRole("button", { name: "Subscribe", exact: true }).click();
    const subscribed = page.locator(".subscribed");
    await subscribed.waitFor();
    assert.match(await subscribed.textContent(), /^Subscribed since .+, agreement agmt-/);
    const agreement = (await subscribed.locator("code.agreement").textContent()).trim();
    // How to use it: the copy by ARN, with network isolation.
    await page.getByRole("heading", { name: "How to use it" }).waitFor();
    const usage = page.locator('.usage[data-version="1.0"]');
    const commands = await usage.locator(".command code").allTextContents();
    assert.equal(commands[0], COPY_ARN);
    assert.ok(commands[1].startsWith(`ModelPackage(role=role, model_package_arn="${COPY_ARN}")`), commands[1]);
    assert.ok(commands[2].includes(`"ModelPackageName": "${COPY_ARN}"`) && commands[2].includes("EnableNetworkIsolation=True"), commands[2]);
    await screenshot(page, "marketplace-listing-subscribed");
    // Reloaded, the page reads the subscription back from the API.
    await page.reload();
    await page.locator(".subscribed code.agreement", { hasText: agreement }).waitFor();
    // The buyer's subscriptions.
    await page.getByRole("navigation").getByRole("link", { name: "Subscriptions" }).click();
    const mine = page.locator(`table.subscriptions[data-role="Buyer"] tr[data-agreement="${agreement}"]`);
    await mine.waitFor();
    assert.equal((await mine.locator(".badge").textContent()).trim(), "ACTIVE");
    assert.equal((await mine.locator("code.party").textContent()).trim(), SELLER);
    assert.equal((await mine.getByRole("link", { name: TITLE }).textContent()).trim(), TITLE);
    // Each row leads to the subscription's usage.
    assert.ok((await mine.getByRole("link", { name: "Usage" }).getAttribute("href")).endsWith(`/marketplace/usage?agreement=${agreement}`));
    result({ agreement });
  },

  async seller(page) {
    const BUYER = need("BUYER");
    const AGREEMENT = need("AGREEMENT");
    await page.goto(`${URL_BASE}/console/marketplace/subscriptions`);
    const theirs = page.locator(`table.subscriptions[data-role="Seller"] tr[data-agreement="${AGREEMENT}"]`);
    await theirs.waitFor();
    assert.equal(await theirs.getAttribute("data-product"), PRODUCT_ID);
    assert.equal((await theirs.locator("code.party").textContent()).trim(), BUYER);
    assert.equal((await theirs.locator(".badge").textContent()).trim(), "ACTIVE");
    // The seller's link goes to its own product page.
    assert.ok((await theirs.locator("a:not(.usage-link)").getAttribute("href")).endsWith(`/marketplace/products/${PRODUCT_ID}`));
    await screenshot(page, "marketplace-subscribers");
  },

  async unsubscribe(page) {
    const AGREEMENT = need("AGREEMENT");
    await page.goto(listing);
    await page.locator(".subscribed code.agreement", { hasText: AGREEMENT }).waitFor();
    await page.getByRole("button", { name: "Unsubscribe" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Unsubscribe" }).click();
    const ended = page.locator(".not-subscribed");
    await ended.waitFor();
    assert.match(await ended.textContent(), new RegExp(`^Subscription ${AGREEMENT} ended `));
    await page.getByRole("button", { name: "Subscribe", exact: true }).waitFor();
    assert.equal(await page.getByRole("heading", { name: "How to use it" }).count(), 0);
  },

  async outsider(page) {
    await page.goto(`${URL_BASE}/console/marketplace/catalog`);
    // The list has loaded (a row, or the empty message) and does not have the product.
    await page.locator("table.list tbody tr, .empty").first().waitFor();
    await page.waitForFunction(() => !document.querySelector(".loading"));
    assert.equal(await page.locator(`a[href$="/marketplace/catalog/${encodeURIComponent(PRODUCT_ID)}"]`).count(), 0);
    await page.goto(listing);
    await page.getByRole("heading", { name: "Product not found", level: 1 }).waitFor();
    assert.ok((await page.locator(".error-box").textContent()).includes("ResourceNotFoundException"));
    assert.equal(await page.getByRole("button", { name: "Subscribe", exact: true }).count(), 0);
  },
};

if (!steps[STEP]) throw new Error(`no step ${STEP}`);
await scenario(steps[STEP]);
