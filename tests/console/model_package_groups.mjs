// Model package groups: the list links each group; a group's page lists
// its versions; a version is deleted after a confirmation, and the group
// refuses deletion while it holds one (the refusal shown in the dialog).
import assert from "node:assert/strict";
import { need, scenario, URL_BASE } from "./browser.mjs";

const GROUP = need("GROUP");

await scenario(async (page) => {
  await page.goto(`${URL_BASE}/console/model-package-groups`);
  await page.getByPlaceholder("Find model package groups by name").fill(GROUP);
  await page.getByRole("link", { name: GROUP }).click();
  await page.getByRole("heading", { name: GROUP }).waitFor();
  await page.getByText("for the console").waitFor();
  await page.getByRole("link", { name: "Version 1" }).waitFor();
  await page.getByRole("link", { name: "Version 2" }).click();

  // Version 2's page: in its group; deleted after confirming.
  await page.getByRole("heading", { name: `${GROUP} (version 2)` }).waitFor();
  await page.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByText(`Delete model package ${GROUP} (version 2)?`).waitFor();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await dialog.waitFor({ state: "hidden" });
  await page.getByRole("button", { name: "Delete" }).click();
  await dialog.getByRole("button", { name: "Delete model package" }).click();
  await page.waitForURL(/\/console\/model-packages$/);

  // The group now lists one version, and cannot be deleted yet.
  await page.goto(`${URL_BASE}/console/model-package-groups/${GROUP}`);
  await page.getByRole("link", { name: "Version 1" }).waitFor();
  await page.getByRole("link", { name: "Version 2" }).waitFor({ state: "detached" });
  await page.getByRole("button", { name: "Delete" }).click();
  await dialog.getByRole("button", { name: "Delete model package group" }).click();
  await dialog.getByRole("alert").waitFor();
  assert.match(await dialog.getByRole("alert").textContent(), /Not deleted/);
});
