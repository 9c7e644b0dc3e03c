/**
 * Debian's chromium driven by playwright-core: headless, fresh profile per launch, and every page
 * records console errors and uncaught exceptions so a test can assert there were none.
 */
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

/**
 * Where screenshots go: a temp dir of this test run, so running the tests leaves the working tree
 * clean; `OUTPOST_SCREENSHOTS=docs` writes them to docs/screenshots instead (to refresh the docs).
 */
export const SCREENSHOTS =
  process.env.OUTPOST_SCREENSHOTS === "docs" ? fileURLToPath(new URL("../../../../docs/screenshots", import.meta.url)) : mkdtempSync(join(tmpdir(), "outpost-screenshots-"));

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
}

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far, minus those a test said to expect. */
  errors: () => string[];
  expectErrors: (pattern: RegExp) => void;
}

export async function openConsole(browser: Browser, baseUrl: string, opts: { token?: string; width?: number; height?: number } = {}): Promise<ConsolePage> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 }, acceptDownloads: true });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl });
  if (opts.token) {
    // The console keeps the token in sessionStorage; put it there as a signed-in tab would have it.
    await context.addInitScript((token: string) => {
      if (!sessionStorage.getItem("outpost.token")) sessionStorage.setItem("outpost.token", token);
    }, opts.token);
  }
  const page = await context.newPage();
  page.setDefaultTimeout(8000);
  const seen: string[] = [];
  const expected: RegExp[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") seen.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => seen.push(`pageerror: ${err.message}`));
  // Chromium logs a failed fetch without its URL; record the URL too so a failure says which call it was.
  page.on("response", (res) => {
    if (res.status() >= 400) seen.push(`response: ${res.status()} ${res.request().method()} ${new URL(res.url()).pathname}`);
  });
  return {
    context,
    page,
    errors: () => seen.filter((e) => !expected.some((re) => re.test(e))),
    expectErrors: (pattern) => expected.push(pattern),
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: false });
}

/**
 * Controls on the page without an accessible name (no text, aria-label, aria-labelledby, title or
 * <label>): each is described by its tag and a bit of its HTML, so a failure says which one.
 */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll<HTMLElement>("button, a[href], input, select, textarea, [role=tab], [role=menuitem], [role=separator][tabindex]"))) {
      if (el.closest("[hidden], [aria-hidden=true]") || el.offsetParent === null) continue;
      const labelledBy = el.getAttribute("aria-labelledby");
      const labels = (el as HTMLInputElement).labels;
      const named =
        Boolean(el.getAttribute("aria-label")?.trim()) ||
        Boolean(labelledBy && labelledBy.split(" ").some((id) => document.getElementById(id)?.textContent?.trim())) ||
        Boolean(labels && Array.from(labels).some((l) => l.textContent?.trim())) ||
        (!["INPUT", "SELECT", "TEXTAREA"].includes(el.tagName) && Boolean(el.textContent?.trim())) ||
        Boolean(el.getAttribute("title")?.trim());
      if (!named) out.push(el.outerHTML.slice(0, 120));
    }
    return out;
  });
}
