// Test support: Debian's Chromium, headless, driven by playwright-core. scripts/install-chromium.sh
// installs it with apt-get when it is missing, so a browser test runs on a fresh machine instead of
// skipping; no tool downloads a browser of its own.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

const INSTALL_SCRIPT = fileURLToPath(new URL('../../../../scripts/install-chromium.sh', import.meta.url));
export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/** Installs Chromium if needed (synchronously, before anything else starts), then launches it. */
export function launchChromium(): Promise<Browser> {
  const installed = spawnSync('sh', [INSTALL_SCRIPT], { stdio: 'inherit' });
  assert.equal(installed.status, 0, 'scripts/install-chromium.sh failed');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
