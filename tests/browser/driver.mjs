// driver.mjs — driving the explorer like a user: real mouse moves, presses and key strokes on the
// ImGui canvas at the rectangles the app publishes (window.Module.attnscopeState.widgets), and
// waiting on the state it publishes. ImGui reads input once per frame, so every press is held
// across frames (a press and release inside one frame can be missed).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { outputDir, pngStats, repoRoot } from './harness.mjs';

export function driver(page) {
  async function state() {
    return page.evaluate(() => JSON.parse(window.Module?.attnscopeState ?? '{}'));
  }

  // Waits until `predicate(state)` holds; fails with the last state seen.
  async function until(predicate, what, timeout = 60000) {
    const start = Date.now();
    let s = {};
    while (Date.now() - start < timeout) {
      s = await state();
      if (s.frame !== undefined && predicate(s)) return s;
      await new Promise((r) => setTimeout(r, 50));
    }
    const brief = { ...s, widgets: undefined, ablation: undefined, calibration: undefined, tokens: undefined, ids: undefined };
    throw new Error(`timed out waiting for ${what}; state: ${JSON.stringify(brief).slice(0, 1200)}`);
  }

  async function frames(n) {
    const start = (await state()).frame;
    await until((s) => s.frame >= start + n, `${n} frames`);
  }

  // "Control+V": modifiers held, then the key down for exactly the next frame. ImGui repeats a
  // key (and moves keyboard navigation again) once it has been down for ~0.2 s, which two frames
  // of a software-rendered page can exceed; so the key goes up as soon as one frame that started
  // after it went down has finished (watched on animation frames, not by slower polling).
  async function press(key) {
    const parts = key.split('+');
    const last = parts.pop();
    for (const k of parts) await page.keyboard.down(k);
    await page.keyboard.down(last);
    const start = (await state()).frame;
    await page.waitForFunction((f) => JSON.parse(window.Module.attnscopeState).frame > f, start,
      { polling: 'raf', timeout: 30000 });
    await page.keyboard.up(last);
    for (const k of parts.reverse()) await page.keyboard.up(k);
    await frames(1);
  }

  // Moves to (fx, fy) of the widget's rectangle (0..1 each) and lets the app see the hover.
  async function hover(name, fx = 0.5, fy = 0.5) {
    const s = await until((x) => x.widgets && x.widgets[name], `widget ${name}`);
    const [x, y, w, h] = s.widgets[name];
    await page.mouse.move(x + w * fx, y + h * fy);
    await frames(2);
  }

  async function click(name, fx = 0.5, fy = 0.5) {
    await hover(name, fx, fy);
    await page.mouse.down();
    await frames(2);
    await page.mouse.up();
    await frames(1);
  }

  async function openTab(name) {
    await click(`tab.${name}`);
    await until((s) => s.tab === name.toLowerCase(), `tab ${name}`);
  }

  // A screenshot after two more frames (so the last change is drawn), checked not to be blank.
  async function shot(name) {
    const frame = (await state()).frame;
    await until((s) => s.frame > frame + 2, 'two more frames');
    const file = path.join(outputDir, `explorer_${name}.png`);
    await page.screenshot({ path: file });
    const stats = pngStats(file);
    assert.ok(stats.colours > 50, `${name} looks blank (${stats.colours} colours)`);
    return file;
  }

  // Replaces the prompt box's text by typing it, then runs it with Enter.
  async function typePrompt(text) {
    await click('prompt');
    await press('Control+A');
    await press('Delete');
    await page.keyboard.type(text, { delay: 5 });
    const serial = (await state()).runSerial ?? 0;
    await press('Enter');
    return serial;
  }

  // Clicks an export button and returns the download's file name and bytes.
  async function download(widget) {
    const pending = page.waitForEvent('download');
    await click(widget);
    const file = await pending;
    const saved = path.join(outputDir, file.suggestedFilename());
    await file.saveAs(saved);
    return { name: file.suggestedFilename(), bytes: readFileSync(saved), path: saved };
  }

  return { page, state, until, frames, press, hover, click, openTab, shot, typePrompt, download };
}

// The files of a model folder as setInputFiles takes them ({ name, mimeType, buffer }).
export function modelFiles(folder, names = ['config.json', 'model.safetensors', 'tokenizer.json']) {
  const dir = path.join(repoRoot, 'models', folder);
  return names.map((name) => ({ name, mimeType: 'application/octet-stream', buffer: readFileSync(path.join(dir, name)) }));
}

// A safetensors file rewritten tensor by tensor: edit(name, info, bytes) returns
// { shape, bytes } to replace a tensor, or nothing to keep it.
export function rewriteSafetensors(file, edit) {
  const headerLength = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + headerLength).toString());
  const data = file.subarray(8 + headerLength);
  const out = {};
  const parts = [];
  let offset = 0;
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') { out[name] = info; continue; }
    let bytes = data.subarray(info.data_offsets[0], info.data_offsets[1]);
    let shape = info.shape;
    const changed = edit(name, info, bytes);
    if (changed) ({ shape, bytes } = changed);
    out[name] = { dtype: info.dtype, shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  const json = Buffer.from(JSON.stringify(out));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, ...parts]);
}
