// Render check for report.html: opens it in Debian's chromium through playwright-core (no browser
// download) at 1400 px and saves a full-page PNG. Not part of `npm test` (test/report/browser.test.ts
// is the test). README's image, results/screenshots/flagship-report.png, is made by
//
//   npm start && node scripts/screenshot-report.mjs
//
//   node scripts/screenshot-report.mjs [results/flagship/report.html] [results/screenshots/flagship-report.png]
//
// Needs `apt-get install -y chromium` once. Fails (exit 1) if the page logs errors, if a request
// leaves the page (it must be self-contained) or if fewer SVG charts than expected rendered.
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const page_ = resolve(process.argv[2] ?? "results/flagship/report.html");
const out = resolve(process.argv[3] ?? "results/screenshots/flagship-report.png");
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
  const problems = [];
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on(
    "request",
    (r) =>
      !r.url().startsWith("file:") && !r.url().startsWith("data:") && problems.push(`network: ${r.url()}`),
  );
  await page.goto(pathToFileURL(page_).href, { waitUntil: "load" });
  const charts = await page.locator("figure svg").count();
  const boxes = await page
    .locator("figure svg")
    .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
  if (charts < 3 || boxes.some((h) => h < 50))
    problems.push(`expected rendered charts, got ${charts} (heights ${boxes.join(", ")})`);
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`${charts} charts rendered; screenshot ${out}`);
  if (problems.length) {
    console.error(problems.join("\n"));
    process.exitCode = 1;
  }
} finally {
  await browser.close();
}
