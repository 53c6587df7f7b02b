/**
 * @baton/browser-testing — the project's browser tests run in real Chromium:
 * Debian's `chromium` package (installed by `scripts/install-test-servers.sh`),
 * driven by playwright-core. Playwright's own browser download is not used
 * (it cannot download here).
 *
 * In CI (`CI` set) a missing Chromium fails the tests; elsewhere they are
 * skipped with a loud message saying how to install it.
 *
 * @example
 * ```ts
 * import { describeInChromium, launchChromium } from '@baton/browser-testing';
 * describeInChromium('the dashboard', () => {
 *   it('loads', async () => {
 *     const browser = await launchChromium();
 *     // ...
 *     await browser.close();
 *   });
 * });
 * ```
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { describe, it } from 'vitest';

/** Where Debian's chromium package puts the browser. Override with BATON_CHROMIUM. */
export const CHROMIUM_PATH = process.env.BATON_CHROMIUM ?? '/usr/bin/chromium';

/** The repository root. */
export const repositoryRoot: string = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Git-ignored folder for screenshots and other things tests leave for people to look at. */
export function artifactsDirectory(...parts: string[]): string {
  const directory = join(repositoryRoot, 'test-artifacts', ...parts);
  mkdirSync(directory, { recursive: true });
  return directory;
}

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/**
 * `describe` for tests that need Chromium. Without it: in CI, one failing
 * test that says how to install it; elsewhere the tests are skipped and a
 * warning is printed, so a green local run never hides that they did not run.
 */
export function describeInChromium(name: string, body: () => void): void {
  if (chromiumAvailable()) {
    describe(name, body);
    return;
  }
  const howTo = `${CHROMIUM_PATH} is missing: run \`bash scripts/install-test-servers.sh\` (Debian's chromium package)`;
  if (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') {
    describe(name, () => {
      it('needs Chromium', () => {
        throw new Error(`CI must run the browser tests, but ${howTo}`);
      });
    });
    return;
  }
  process.stderr.write(`\n${'!'.repeat(78)}\n!! SKIPPING browser tests "${name}": ${howTo}\n${'!'.repeat(78)}\n\n`);
  describe.skip(name, body);
}

/** Headless Chromium. Root (as in CI here) needs --no-sandbox. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

/**
 * Collect the page's console errors and uncaught exceptions, so a test can
 * assert that there were none (a page that throws may still look right).
 */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  return errors;
}
