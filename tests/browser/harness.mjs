// harness.mjs — shared set-up for the browser tests: the real `attnscope serve` on a free port and
// Debian's Chromium driven by playwright-core (never a downloaded browser).
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const nativeBuild = process.env.ATTNSCOPE_BUILD ?? path.join(repoRoot, 'build');
export const wasmBuild = process.env.ATTNSCOPE_WASM_BUILD ?? path.join(repoRoot, 'build-wasm');
export const outputDir = path.join(wasmBuild, 'test-output');
mkdirSync(outputDir, { recursive: true });

const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic',
  '--enable-unsafe-swiftshader',  // WebGL2 through SwiftShader: there is no GPU here
];

// Starts `attnscope serve` on a free port (without COOP/COEP if isolation is false) for `root`
// (the web build's public/ unless given); resolves to { url, stop }.
export function startServer({ isolation = true, root = path.join(wasmBuild, 'public') } = {}) {
  const server = spawn(path.join(nativeBuild, 'attnscope'),
    ['serve', '--root', root, '--port', '0', ...(isolation ? [] : ['--no-isolation'])],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '', err = '';
    const timer = setTimeout(() => reject(new Error('server did not start: ' + err)), 10000);
    server.stderr.on('data', (d) => { err += d; });
    server.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/at (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], stop: () => server.kill() });
      }
    });
    server.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited (${code}): ${err}`)); });
  });
}

// webgpu: true gives the page navigator.gpu (SwiftShader's Vulkan adapter, without a GPU).
export async function launchBrowser({ webgpu = false } = {}) {
  const args = webgpu ? [...CHROMIUM_ARGS, '--enable-unsafe-webgpu'] : CHROMIUM_ARGS;
  return chromium.launch({ executablePath: '/usr/bin/chromium', args });
}

// Collects the page's console errors and uncaught exceptions, so tests can assert there were none.
// Also records every request that leaves the page's origin (the page must talk to nobody else;
// the server's Content-Security-Policy would block it, and that is logged as a console error).
export function watchErrors(page) {
  const errors = [];
  let origin = null;
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) return;  // data:, blob:
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) origin = url.origin;
    else if (origin && url.origin !== origin) errors.push(`request outside ${origin}: ${url.href}`);
  });
  return errors;
}

// "WIDTH HEIGHT COLOURS" of a PNG, from the native png_stats tool.
export function pngStats(file) {
  const [width, height, colours] = execFileSync(path.join(nativeBuild, 'png_stats'), [file])
    .toString().trim().split(' ').map(Number);
  return { width, height, colours };
}
