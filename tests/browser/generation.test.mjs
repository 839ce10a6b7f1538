// generation.test.mjs — continuing the prompt in the explorer, with real mouse and keys: the
// Generate button, the new tokens in the token strip, every view updated; greedy, then sampled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, watchErrors } from './harness.mjs';
import { driver } from './driver.mjs';

let server, browser, page, errors, d;
before(async () => {
  server = await startServer({ isolation: false });
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1400, height: 860 } })).newPage();
  errors = watchErrors(page);
  d = driver(page);
});
after(async () => {
  await browser?.close();
  server?.stop();
});

test('Generate continues the prompt: the new tokens join the strip and the views follow', async () => {
  const { until, click, press, frames, typePrompt, shot } = d;
  await page.goto(server.url);
  await until((s) => s.model === 'attnscope-kjv' && s.runSerial >= 1, 'the first run');
  const serial = await typePrompt('In the beginning God created the heaven');
  let s = await until((x) => x.runSerial > serial, 'the typed prompt');
  const before = s.tokens.length, generated = s.generation.serial;
  // Ask for 6 tokens: the field is left of its label.
  await click('generate.tokens', 0.2);
  await press('Control+A');
  await page.keyboard.type('6');
  await press('Enter');
  await frames(2);
  await click('generate.run');
  s = await until((x) => x.generation.serial > generated && !x.busy && !x.backgroundBusy &&
                         x.tokens.length === before + 6, 'the continuation in the token strip', 60000);
  assert.equal(s.generation.error, '');
  assert.ok(s.generation.last.length > 0);
  assert.ok(s.prompt.startsWith('In the beginning God created the heaven'));
  assert.ok(s.prompt.length > 'In the beginning God created the heaven'.length);
  // The run on screen is the longer one: its ids are the old ones and six more.
  assert.equal(s.ids.length, before + 6);
  await shot('generated');

  // Sampled from a seed: the switch and the same button.
  await click('generate.sample');
  await frames(2);
  const again = s.generation.serial;
  await click('generate.run');
  const t = await until((x) => x.generation.serial > again && !x.backgroundBusy &&
                               x.tokens.length === before + 12, 'a sampled continuation', 60000);
  assert.equal(t.generation.error, '');
  assert.deepEqual(errors, []);
});
