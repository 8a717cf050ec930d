// Signed in as one account, the console lists that account's resources
// and none of another's (it calls the same APIs, with this account's keys).
import assert from "node:assert/strict";
import { need, scenario, URL_BASE } from "./browser.mjs";

await scenario(async (page) => {
  await page.goto(`${URL_BASE}/console/model-package-groups`);
  await page.getByRole("link", { name: need("MINE") }).waitFor();
  assert.equal(await page.getByText(need("NOT_MINE")).count(), 0);
  // Nor by a deep link to the other account's resource.
  await page.goto(`${URL_BASE}/console/model-package-groups/${need("NOT_MINE")}`);
  await page.getByRole("alert").first().waitFor();
  assert.match(await page.getByRole("alert").first().textContent(), /does not exist|not found/i);
});
