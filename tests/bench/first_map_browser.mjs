// first_map_browser.mjs — time from page load to the first attention map in headless Chromium
// (SwiftShader), over several fresh pages: the figure the README quotes. Not a test: it asserts
// nothing and prints min / median / max. Run it idle and under load (e.g. with `--burn 2`, which
// keeps two busy-looping processes running beside it) to see both.
//
//   node tests/bench/first_map_browser.mjs [--runs 7] [--burn N]
import { spawn } from 'node:child_process';
import { startServer, launchBrowser } from '../browser/harness.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const runs = arg('--runs', 7), burn = arg('--burn', 0);
const burners = Array.from({ length: burn }, () =>
  spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));

const server = await startServer();
const browser = await launchBrowser();
const wall = [], app = [];
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
    const page = await context.newPage();
    const start = Date.now();
    await page.goto(server.url);
    await page.waitForFunction(() => {
      const s = JSON.parse(window.Module?.attnscopeState ?? '{}');
      return s.runSerial >= 1 && s.firstMapSeconds >= 0;
    }, null, { timeout: 120000, polling: 50 });
    wall.push((Date.now() - start) / 1000);
    app.push(await page.evaluate(() => JSON.parse(window.Module.attnscopeState).firstMapSeconds));
    await context.close();
  }
} finally {
  await browser.close();
  server.stop();
  for (const b of burners) b.kill();
}
const summary = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return `min ${s[0].toFixed(2)} s, median ${s[Math.floor(s.length / 2)].toFixed(2)} s, max ${s[s.length - 1].toFixed(2)} s`;
};
console.log(`first attention map over ${runs} page loads, ${burn} busy processes beside it:`);
console.log(`  page load to map: ${summary(wall)}`);
console.log(`  app clock (start to map): ${summary(app)}`);
