// The image registry in the console: create a repository, read the push
// commands it shows, run them exactly as shown (a person pastes them), and
// see the pushed image listed with its tag; then delete the repository.
import assert from "node:assert/strict";
import { execSync } from "node:child_process";
import { need, result, scenario, screenshot, URL_BASE } from "./browser.mjs";

const REPO = need("REPO");
const LOCAL_IMAGE = need("LOCAL_IMAGE");
const REGION = need("REGION");
const host = new URL(URL_BASE).host;

await scenario(async (page) => {
  await page.goto(`${URL_BASE}/console/registry`);
  await page.getByRole("heading", { name: "Image registry" }).waitFor();
  await page.getByRole("button", { name: "Create repository" }).click();
  const form = page.getByRole("form", { name: "Create repository" });
  // ECR's own validation, shown at the field.
  await form.getByLabel("Repository name").fill("Upper/Case");
  await form.getByRole("button", { name: "Create repository" }).click();
  await form.locator(".field-error").getByText("InvalidParameterException").waitFor();
  await form.getByLabel("Repository name").fill(REPO);
  await form.getByRole("button", { name: "Create repository" }).click();

  // The repository's page: its URI and the commands for this server.
  await page.getByRole("heading", { name: REPO, exact: true }).waitFor();
  await page.getByText("No images.").waitFor();
  await page.getByLabel("Local image").fill(LOCAL_IMAGE);
  await page.getByLabel("Image tag").fill("v1");
  const commands = await page.locator(".command code").allTextContents();
  const target = `${host}/${REPO}:v1`;
  assert.deepEqual(commands.slice(0, 3), [
    `aws ecr get-login-password --endpoint-url ${URL_BASE} --region ${REGION} | podman login --username AWS --password-stdin --tls-verify=false ${host}`,
    `podman tag ${LOCAL_IMAGE} ${target}`,
    `podman push --tls-verify=false ${target}`,
  ]);
  assert.match(commands[3], new RegExp(`^\\d{12}\\.dkr\\.ecr\\.${REGION}\\.amazonaws\\.com/${REPO}:v1$`));

  // Copy puts the command on the clipboard.
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await page.getByRole("button", { name: "Copy push command" }).click();
  await page.getByRole("button", { name: "Copy push command" }).getByText("Copied").waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), commands[2]);

  // Run them as shown (REGISTRY_AUTH_FILE keeps the login out of the machine's).
  const started = Date.now();
  for (const c of commands.slice(0, 3)) execSync(c, { stdio: "pipe", shell: "/bin/bash", timeout: 120000 });
  const pushMs = Date.now() - started;

  // The image appears (the list refreshes itself) with its tag and size.
  const images = page.locator("table.list").last();
  await images.getByText("v1", { exact: true }).waitFor({ timeout: 20000 });
  const row = images.locator("tr").filter({ hasText: "v1" });
  assert.match(await row.locator("code.digest").textContent(), /^sha256:[0-9a-f]{64}$/);
  assert.match(await row.textContent(), /\d+(\.\d)? (B|KB|MB)/);
  await screenshot(page, "registry");

  // The list of repositories shows it; then delete it with its image.
  await page.getByRole("navigation", { name: "Breadcrumb" }).getByRole("link", { name: "Image registry" }).click();
  await page.getByRole("link", { name: REPO, exact: true }).click();
  await page.getByRole("button", { name: "Delete repository" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete repository and its images" }).click();
  await page.getByRole("heading", { name: "Image registry" }).waitFor();
  await page.getByRole("link", { name: REPO, exact: true }).waitFor({ state: "detached" });
  result({ push_ms: pushMs });
});
