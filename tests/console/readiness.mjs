// The "Marketplace readiness" section of a model package's page: a package
// still validating shows the report's live status and turns into its
// verdict without a reload; a completed report shows its headline, findings
// with their fixes, real-time figures, checks and images exactly as the API
// (REPORT, read with boto3) has them; a package without a validation says
// it has no report; a narrow window does not scroll sideways.
import assert from "node:assert/strict";
import { need, result, scenario, screenshot, URL_BASE } from "./browser.mjs";

const NAME = need("NAME");
const LIVE = need("LIVE");
const PLAIN = need("PLAIN");
const REPORT = JSON.parse(need("REPORT"));

const pageOf = (name) => `${URL_BASE}/console/model-packages/${encodeURIComponent(name)}`;

/** The value of a fact (dt/dd) of the section, by its label. */
async function fact(section, label) {
  const dd = section.locator("dl.facts > div").filter({ has: section.page().locator(`dt:text-is("${label}")`) }).locator("dd");
  return (await dd.textContent()).trim();
}

await scenario(async (page) => {
  const section = page.locator("section.readiness");

  // 1. While the validation runs: the report's status, busy, polled.
  await page.goto(pageOf(LIVE));
  await section.getByRole("heading", { name: "Marketplace readiness" }).waitFor();
  const status = section.locator("dl.facts > div").filter({ has: page.locator('dt:text-is("Report status")') }).locator(".badge");
  await status.waitFor();
  const liveFirst = (await status.textContent()).trim();
  assert.ok(["NotStarted", "InProgress"].includes(liveFirst), `the report was ${liveFirst} when the page opened`);
  assert.equal(await section.getAttribute("aria-busy"), "true");
  await section.locator(".notice").filter({ hasText: "This page updates by itself." }).waitFor();
  // No reload: the poll brings the verdict (a validation and a real-time check take a while).
  await section.getByText("Not ready to list").waitFor({ timeout: 600_000 });
  assert.equal(await section.getAttribute("aria-busy"), "false");

  // 2. The completed report, against the API's answer.
  await page.goto(pageOf(NAME));
  const headline = section.locator(".readiness-headline");
  await headline.waitFor();
  assert.equal((await headline.locator("strong").first().textContent()).trim(), "Not ready to list");
  assert.equal(await headline.getAttribute("role"), "status");
  const counts = await headline.getByRole("listitem").allTextContents();
  assert.deepEqual(counts.map((c) => c.trim()), [
    `Blocks listing: ${REPORT.Summary.BlocksListing}`,
    `Breaks buyers: ${REPORT.Summary.BreaksBuyers}`,
    `Advice: ${REPORT.Summary.Advice}`,
  ]);
  assert.equal(REPORT.Summary.BlocksListing, 3);

  const blocking = section.getByRole("list", { name: /^Blocks listing \(3\)/ });
  for (const id of ["listing.not-certified", "image.outside-seller-registry", "scan.missing"]) {
    const f = REPORT.Findings.find((x) => x.FindingId === id);
    const item = blocking.locator(`li[data-finding="${id}"]`);
    await item.waitFor();
    assert.equal((await item.locator(".finding-id").textContent()).trim(), id);
    assert.equal((await item.locator(".finding-title").textContent()).trim(), f.Title);
    assert.equal((await item.locator(".fix").textContent()).trim(), `Fix: ${f.Fix}`);
    if (f.Evidence?.length) assert.equal(await item.locator("pre.evidence").textContent(), f.Evidence.join("\n"));
    if (f.Subject) assert.ok((await item.locator(".finding-subject").textContent()).includes(f.Subject));
  }
  assert.ok((await blocking.locator('li[data-finding="image.outside-seller-registry"] .fix').textContent()).includes("Access denied for registry"));

  // Real-time figures, formatted as the page formats numbers in this browser.
  const rt = REPORT.RealTime;
  const ms = (n) => page.evaluate((v) => `${v.toLocaleString(undefined, { maximumFractionDigits: 1 })} ms`, n);
  const realtime = section.locator(".readiness-realtime");
  const figures = {
    "Start-up (to the first GET /ping 200)": rt.StartupInMilliseconds,
    "GET /ping p50": rt.PingP50InMilliseconds,
    "GET /ping max": rt.PingMaxInMilliseconds,
    "Invocation p50": rt.InvocationP50InMilliseconds,
    "Invocation p99": rt.InvocationP99InMilliseconds,
    "Invocation max": rt.InvocationMaxInMilliseconds,
  };
  for (const [label, value] of Object.entries(figures)) {
    assert.ok(typeof value === "number", `${label} missing from the report`);
    assert.equal(await fact(realtime, label), await ms(value), label);
  }
  assert.equal(await fact(realtime, "Instance type"), rt.InstanceType);
  assert.equal(await fact(realtime, "Invocations (errors)"), `${rt.Invocations} (${rt.InvocationErrors})`);
  const largest = await page.evaluate((v) => v.toLocaleString(undefined, { maximumFractionDigits: 1 }), rt.LargestBodyAcceptedInBytes);
  assert.ok((await fact(realtime, "Largest body accepted")).endsWith(`(${largest} bytes)`));
  const refused = await fact(realtime, "Smallest body refused");
  if (rt.SmallestBodyRefusedInBytes === undefined) assert.equal(refused, "None");
  else assert.ok(refused.endsWith("bytes)"), refused);

  // The checks, one row per category, with the API's status.
  const checks = section.locator("table.readiness-checks tbody tr");
  assert.equal(await checks.count(), REPORT.Checks.length);
  for (const c of REPORT.Checks) {
    const row = section.locator(`table.readiness-checks tr[data-category="${c.Category}"]`);
    assert.equal((await row.locator(".badge").textContent()).trim(), c.Status, c.Category);
    if (c.Reason) assert.equal((await row.locator(".check-reason").textContent()).trim(), c.Reason);
  }
  const found = REPORT.Checks.filter((c) => c.Status === "Found").map((c) => c.Category).sort();
  assert.deepEqual(found, ["Image", "Listing", "VulnerabilityScan"]);

  // The image: outside the seller's registry, never scanned.
  const image = section.locator("table.readiness-images tbody tr").first();
  const cells = (await image.locator("td").allTextContents()).map((t) => t.trim());
  assert.equal(cells[0], REPORT.Images[0].Role);
  assert.ok(cells[1].startsWith(REPORT.Images[0].Image), cells[1]);
  assert.equal(cells[2], "No");
  assert.equal(cells[3], REPORT.Images[0].Platform);
  assert.equal(cells[7], REPORT.Images[0].ScanStatus ?? "No scan");
  await section.getByRole("heading", { name: "Network activity under isolation" }).waitFor();

  // The section's heading near the top of the window, with a margin above it.
  await page.evaluate(() => {
    document.getElementById("readiness-title").scrollIntoView({ block: "start" });
    window.scrollBy(0, -12);
  });
  await screenshot(page, "readiness");

  // 3. A narrow window: nothing wider than the window but the tables' own scroll.
  await page.setViewportSize({ width: 420, height: 800 });
  await headline.waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  const wide = overflow <= 0 ? [] : await page.evaluate(() =>
    [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest(".table-scroll, .resource-list, pre"))
      .slice(0, 8)
      .map((e) => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`),
  );
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px at 420 px: ${wide.join(", ")}`);
  await page.setViewportSize({ width: 1280, height: 800 });

  // 4. No ValidationSpecification: no report, said plainly.
  await page.goto(pageOf(PLAIN));
  const none = section.locator(".readiness-none");
  await none.waitFor();
  const text = (await none.textContent()).trim();
  assert.ok(text.includes("has no readiness report") && text.includes("ValidationSpecification"), text);
  assert.equal(await section.getAttribute("aria-busy"), "false");
  assert.equal(await section.locator(".error-box").count(), 0);

  // 5. Network activity under isolation: each container, its attempts, and
  // a link to the transform job whose log holds them.
  const NET_REPORT = JSON.parse(process.env.NET_REPORT);
  await page.goto(pageOf(process.env.NET));
  const items = section.locator("ul.network-activity > li");
  await items.first().waitFor();
  assert.equal(await items.count(), NET_REPORT.NetworkActivity.length);
  const attempts = (await section.locator("ul.network-activity pre.evidence").allTextContents()).join("\n");
  assert.ok(attempts.includes("GET http://models.example.com/weights.bin"), attempts);
  const jobLink = section.locator("ul.network-activity a", { hasText: "its logs on the job's page" }).first();
  assert.ok((await jobLink.getAttribute("href")).includes("/transform-jobs/"));
  await section.getByText("network.outbound-attempt", { exact: true }).first().waitFor();

  result({ liveFirst });
});
