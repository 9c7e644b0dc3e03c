/**
 * The hooks every browser suite shares: one server and one browser for the file, and a console page
 * per test that is closed after it. A test fails if its page saw an error it did not expect.
 * Seeding stays with each suite (its own beforeAll, which runs after these).
 */
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import type { Browser } from "playwright-core";
import { launchBrowser, openConsole, type ConsolePage } from "./browser.js";
import { startServer, type Server } from "./server.js";

export interface ConsoleSuite {
  /** The suite's server; set once the suite's hooks have run. */
  readonly server: Server;
  readonly browser: Browser;
  /**
   * Opens the test's console page, on the suite's server unless `on` says otherwise. The page opened
   * last is the one closed and checked after the test.
   */
  open: (opts?: { on?: Server; token?: string; width?: number }) => Promise<ConsolePage>;
}

export function useConsoleSuite(): ConsoleSuite {
  let server: Server | undefined;
  let browser: Browser | undefined;
  let current: ConsolePage | undefined;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  afterEach(async () => {
    const errors = current?.errors() ?? [];
    await current?.context.close();
    current = undefined;
    expect(errors).toEqual([]);
  });

  function started<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new Error(`the console suite's ${what} is not up: use it inside a test or a later hook`);
    return value;
  }
  return {
    get server() {
      return started(server, "server");
    },
    get browser() {
      return started(browser, "browser");
    },
    open: async ({ on, token, width } = {}) => {
      current = await openConsole(started(browser, "browser"), (on ?? started(server, "server")).baseUrl, { token, width });
      return current;
    },
  };
}
