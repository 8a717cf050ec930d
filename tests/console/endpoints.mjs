// Endpoints in the console: the list (name and status filters), an
// endpoint's page (status, variants, model link), a test invocation that
// returns the echoed body with its latency, a container's 500 shown as a
// ModelError with its log stream, a failed endpoint's reason, creating an
// endpoint from the console and deleting it.
import assert from "node:assert/strict";
import { need, result, scenario, screenshot, URL_BASE } from "./browser.mjs";

const ECHO = need("ECHO_ENDPOINT");
const ECHO_MODEL = need("ECHO_MODEL");
const BROKEN = need("BROKEN_ENDPOINT");
const FAILED = need("FAILED_ENDPOINT");
const NEW = need("NEW_ENDPOINT");

async function invoke(page, body) {
  await page.getByLabel("Content type").selectOption("application/json");
  await page.getByLabel("Request body").fill(body);
  await page.getByRole("button", { name: "Send request" }).click();
  return page.getByRole("region", { name: "Response" });
}

await scenario(async (page) => {
  // The list: filtered by name, then by status.
  await page.goto(`${URL_BASE}/console/endpoints`);
  await page.getByPlaceholder("Find endpoints by name").fill(ECHO);
  const row = page.locator("table.list tbody tr").filter({ hasText: ECHO });
  await row.getByText("InService").waitFor();
  await page.getByLabel("Filter endpoints by status").selectOption("Failed");
  await page.getByText(`No endpoints match “${ECHO}”.`).waitFor();
  await page.getByLabel("Filter endpoints by status").selectOption("InService");
  await page.getByRole("link", { name: ECHO }).click();

  // Its page: status, the variant and its model, then a test invocation.
  await page.getByRole("heading", { name: ECHO }).waitFor();
  await page.locator(".facts").getByText("InService").first().waitFor();
  const variants = page.locator("table.variants");
  await variants.getByRole("cell", { name: "AllTraffic" }).waitFor();
  assert.equal(await variants.getByRole("link", { name: ECHO_MODEL }).getAttribute("href"), `/console/models/${ECHO_MODEL}`);
  await variants.getByRole("cell", { name: "ml.m5.large" }).waitFor();
  await variants.getByRole("cell", { name: "1 / 1" }).first().waitFor();

  const body = '{"hello": "console", "n": [1, 2, 3]}';
  const response = await invoke(page, body);
  assert.equal(await response.getByLabel("Response body").textContent(), body);
  const facts = await response.locator(".facts").innerText();
  assert.match(facts, /Latency\s+\d+ ms/);
  assert.match(facts, /Content type\s+application\/json/);
  assert.match(facts, /Invoked production variant\s+AllTraffic/);
  const latency = Number(/Latency\s+(\d+) ms/.exec(facts)[1]);
  // The page as docs show it: the variants, the request and its answer.
  await page.getByRole("heading", { name: "Production variants" }).evaluate((h) => h.scrollIntoView());
  await screenshot(page, "endpoint");
  // The target variant is sent: an unknown one is the runtime's refusal.
  await page.getByLabel("Target variant").selectOption("AllTraffic");
  await invoke(page, "{}");
  await response.getByLabel("Response body").getByText("{}", { exact: true }).waitFor();

  // A container that answers 500: ModelError with what the container said.
  await page.goto(`${URL_BASE}/console/endpoints/${BROKEN}`);
  await page.locator(".facts").getByText("InService").first().waitFor();
  const failed = await invoke(page, '{"x": 1}');
  await failed.getByText("ModelError").first().waitFor();
  const failedFacts = await failed.locator(".facts").innerText();
  assert.match(failedFacts, /Original status code\s+500/);
  assert.match(failedFacts, /Original message\s+SAMPLE_MODE=error500: this sample fails every invocation on purpose/);
  assert.match(failedFacts, /Log stream ARN\s+arn:aws:logs:[^\s]+:log-group:\/aws\/sagemaker\/Endpoints\/[^\s]+:log-stream:AllTraffic\/i-[0-9a-f]{17}/);
  await failed.getByRole("button", { name: "Show this log stream" }).click();
  await page.getByLabel("Log events").getByText(/invocations: 500 SAMPLE_MODE=error500/).first().waitFor({ timeout: 20000 });

  // A failed endpoint: its reason, as DescribeEndpoint gives it; no invocations.
  await page.goto(`${URL_BASE}/console/endpoints/${FAILED}`);
  await page.getByRole("alert").filter({ hasText: "Failure reason:" }).getByText(need("FAILURE_REASON")).waitFor();
  await page.getByText("The endpoint answers invocations once it is InService.").waitFor();
  assert.equal(await page.getByRole("button", { name: "Send request" }).isDisabled(), true);

  // Create one from the console: config + endpoint, then its page.
  await page.goto(`${URL_BASE}/console/endpoints`);
  await page.getByRole("link", { name: "Create endpoint" }).click();
  await page.getByLabel("Endpoint name").fill(NEW);
  assert.equal(await page.getByLabel("Endpoint configuration name").inputValue(), `${NEW}-config`);
  await page.getByLabel("Model", { exact: true }).selectOption(ECHO_MODEL);
  // A type the server does not know is refused at its field.
  await page.getByLabel("Instance type").fill("ml.nonsense.large");
  await page.getByRole("button", { name: "Create endpoint" }).click();
  await page.locator(".field.has-error").getByText("ml.nonsense.large").waitFor();
  await page.getByLabel("Instance type").fill("ml.m5.large");
  await page.getByLabel("Initial instance count").fill("1");
  const created = Date.now();
  await page.getByRole("button", { name: "Create endpoint" }).click();
  await page.getByRole("heading", { name: NEW }).waitFor();
  await page.locator(".facts").getByText("InService").first().waitFor({ timeout: 120000 });
  const toService = Date.now() - created;
  await invoke(page, '{"created": "here"}');
  await page.getByLabel("Response body").getByText('{"created": "here"}').waitFor();

  // Delete it, with confirmation: back on the list, no longer InService.
  await page.getByRole("button", { name: "Delete endpoint" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete endpoint" }).click();
  await page.getByRole("heading", { name: "Endpoints" }).waitFor();
  await page.getByLabel("Filter endpoints by status").selectOption("InService");
  await page.getByPlaceholder("Find endpoints by name").fill(NEW);
  await page.getByText(`No endpoints match “${NEW}”.`).waitFor();

  result({ invoke_latency_ms: latency, create_to_in_service_ms: toService });
});
