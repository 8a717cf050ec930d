// Usable with the keyboard alone, and readable on a narrow window.
import assert from "node:assert/strict";
import { need, openBrowser, screenshot, URL_BASE } from "./browser.mjs";

const b = await openBrowser({ width: 420, height: 860 });
try {
  const { page } = b;
  await page.goto(`${URL_BASE}/`);
  // Keyboard only: Tab into the form, type, Enter.
  await page.getByLabel("Access key ID").waitFor();
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "access-key-id");
  await page.keyboard.type(need("AWS_ACCESS_KEY_ID"));
  await page.keyboard.press("Tab");
  await page.keyboard.type(need("AWS_SECRET_ACCESS_KEY"));
  await page.keyboard.press("Enter");
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  // The first Tab reaches the skip link, which moves focus to the content.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to content");
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "main");
  // Navigation by keyboard: focus the "Model packages" link and follow it.
  await page.getByRole("link", { name: "Model packages", exact: true }).first().focus();
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Model packages" }).waitFor();
  // Narrow: nothing wider than the window.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page is ${overflow} px wider than a 420 px window`);
  await screenshot(page, "narrow-window");
} catch (e) {
  console.error(b.problems.join("\n"));
  throw e;
} finally {
  await b.close();
}
