// Shared by the console's browser scenarios (tests/console/*.mjs): real
// headless Chromium (Debian's, through playwright-core's executablePath)
// against a real `slipway serve`. A scenario is run by a pytest test
// (tests/e2e/test_console*.py), which starts the server, prepares data
// with boto3 and passes what the scenario needs in the environment:
//   SLIPWAY_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (the account to
//   sign in as), SCREENSHOTS (a directory, optional) and the scenario's own.
// A scenario fails by throwing (node:assert or a playwright timeout); it
// may print one JSON line `RESULT {...}` of figures for the caller.
import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";
import path from "node:path";

const require = createRequire(new URL("../../console/package.json", import.meta.url));
const { chromium } = require("playwright-core");

export const URL_BASE = need("SLIPWAY_URL");

export function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`the scenario needs ${name} in its environment`);
  return v;
}

/** A fresh browser and page at 1280×800; `close()` when done. */
export async function openBrowser({ width = 1280, height = 800 } = {}) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
  const context = await browser.newContext({ viewport: { width, height } });
  context.setDefaultTimeout(Number(process.env.STEP_TIMEOUT_MS ?? 15000));
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  return { browser, context, page, problems, close: () => browser.close() };
}

/** Signs in through the form, as a person does; waits for the shell. */
export async function signIn(page, accessKeyId = need("AWS_ACCESS_KEY_ID"), secret = need("AWS_SECRET_ACCESS_KEY")) {
  await page.goto(`${URL_BASE}/console/`);
  await page.getByLabel("Access key ID").fill(accessKeyId);
  await page.getByLabel("Secret access key").fill(secret);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

/** A screenshot into $SCREENSHOTS (docs/console.md uses them), if set. */
export async function screenshot(page, name) {
  const dir = process.env.SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: false });
}

/** Runs `body(page)` in a signed-in browser; prints page errors on failure.
 * Chromium aborts its requests, loopback ones too, with
 * ERR_NETWORK_CHANGED whenever the host's addresses change, which other
 * tests' container networks do at any moment; a run that saw that is run
 * once more in a fresh browser. */
export async function scenario(body, { signedIn = true } = {}, attempt = 1) {
  const b = await openBrowser();
  let closed = false;
  try {
    if (signedIn) await signIn(b.page);
    await body(b.page, b);
  } catch (e) {
    if (b.problems.length) console.error(b.problems.join("\n"));
    console.error(`at ${b.page.url()}`);
    if (attempt === 1 && b.problems.some((p) => p.includes("ERR_NETWORK_CHANGED"))) {
      console.error("the host's network changed during the run (another test's containers): running it again");
      closed = true;
      await b.close();
      return await scenario(body, { signedIn }, 2);
    }
    throw e;
  } finally {
    if (!closed) await b.close();
  }
}

export function result(figures) {
  console.log(`RESULT ${JSON.stringify(figures)}`);
}
