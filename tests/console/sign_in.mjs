// Sign-in, wrong key, sign-out and expiry, as a person meets them.
import assert from "node:assert/strict";
import { need, scenario, screenshot, signIn, URL_BASE } from "./browser.mjs";

await scenario(
  async (page) => {
    // A wrong secret: a clear message, still on the sign-in form.
    await page.goto(`${URL_BASE}/`);
    await page.getByLabel("Access key ID").fill(need("AWS_ACCESS_KEY_ID"));
    await page.getByLabel("Secret access key").fill("not-the-secret");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("the access key ID or the secret access key is wrong").waitFor();
    await screenshot(page, "sign-in-wrong-key");

    // The right one: the shell, the account, deep links work.
    await signIn(page);
    await page.getByText(`Account ${need("ACCOUNT_ID")}`).waitFor();
    await page.goto(`${URL_BASE}/console/model-packages`);
    await page.getByRole("heading", { name: "Model packages" }).waitFor();

    // Sign out: back to the form, with a message, and a reload stays out.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText("You signed out.").waitFor();
    await page.reload();
    await page.getByLabel("Access key ID").waitFor();

    // A session the server no longer knows (its token forged here).
    await signIn(page);
    await page.evaluate(() => {
      const s = JSON.parse(sessionStorage.getItem("slipway.session"));
      s.accessKeyId = "ASIAUNKNOWNUNKNOWN00";
      sessionStorage.setItem("slipway.session", JSON.stringify(s));
    });
    await page.goto(`${URL_BASE}/console/model-packages`);
    await page.getByText("Your session is no longer valid. Sign in again.").waitFor();

    // Expiry: the browser's clock runs past the credentials' expiration.
    await page.clock.install();
    await signIn(page);
    await page.clock.fastForward("12:00:30");
    await page.getByText("Your session expired. Sign in again.").waitFor();
    await page.getByLabel("Access key ID").waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem("slipway.session")), null);
  },
  { signedIn: false },
);
