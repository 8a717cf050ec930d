// Signing out and in as another account in the same tab (no reload): the
// pages sign with the new account's credentials, never the old ones the
// SDK clients had resolved.
import { need, scenario, URL_BASE } from "./browser.mjs";

const MINE = need("BUCKET");

await scenario(async (page) => {
  const nav = page.getByRole("navigation", { name: "Console" });
  await page.goto(`${URL_BASE}/console/s3`);
  await page.getByRole("link", { name: MINE }).waitFor();
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("Access key ID").fill(need("OTHER_KEY_ID"));
  await page.getByLabel("Secret access key").fill(need("OTHER_SECRET"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText(`Account ${need("OTHER_ACCOUNT")}`).waitFor();
  await nav.getByRole("link", { name: "S3 buckets" }).click();
  await page.getByText("No buckets.").waitFor();
  if (await page.getByRole("link", { name: MINE }).count()) throw new Error(`${MINE} is shown to the other account`);
});
