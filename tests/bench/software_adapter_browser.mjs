// software_adapter_browser.mjs — why Automatic leaves a software adapter alone: the default
// model's forward pass in headless Chromium on the WASM CPU path and on WebGPU over SwiftShader
// (--enable-unsafe-webgpu), the same page and prompt, each backend named in the link. Not a test:
// it asserts nothing and prints min / median / max of the status bar's "forward pass N ms" over
// --runs clicks of Run (after the load's own pass).
//
//   node tests/bench/software_adapter_browser.mjs [--runs 5]
import { startServer, launchBrowser } from '../browser/harness.mjs';
import { driver } from '../browser/driver.mjs';

const i = process.argv.indexOf('--runs');
const runs = i >= 0 ? Number(process.argv[i + 1]) : 5;
const server = await startServer();
const browser = await launchBrowser({ webgpu: true });
const ms = (status) => Number(/forward pass ([0-9.]+) ms/.exec(status)?.[1]);
const summary = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return `min ${s[0].toFixed(1)} ms, median ${s[Math.floor(s.length / 2)].toFixed(1)} ms, max ${s[s.length - 1].toFixed(1)} ms`;
};
try {
  for (const backend of ['cpu', 'webgpu']) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
    const page = await context.newPage();
    await page.goto(`${server.url}#backend=${backend}`);
    const d = driver(page);
    let s = await d.until((x) => x.model === 'attnscope-kjv' && !x.busy && x.runSerial >= 1 && !x.loading,
      'the default model', 300000);
    const times = [];
    for (let r = 0; r < runs; r++) {
      const serial = s.runSerial;
      await d.click('prompt.run');
      s = await d.until((x) => x.runSerial > serial && !x.busy, 'the run', 300000);
      times.push(ms(s.status));
    }
    console.log(`${s.backend} (${s.tokens?.length ?? '?'} tokens): forward pass ${summary(times)} over ${runs} runs`);
    await context.close();
  }
} finally {
  await browser.close();
  server.stop();
}
