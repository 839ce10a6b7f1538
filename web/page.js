// page.js — the glue between the page and the WASM explorer (Emscripten's `Module` object):
// loading progress and errors, and window.attnscopeHost, the JavaScript half of the browser's
// Host (ui/platform/host_web.cpp): fetching bundled models with progress, the file picker and
// drag-and-drop for the user's own model, downloads, and the view in the URL's hash.
'use strict';

(function () {
  const status = document.getElementById('status');
  const canvas = document.getElementById('canvas');
  // The browser build keeps weights as float32 in 32-bit WebAssembly memory (4 GB at most, with
  // room for activations and the files themselves): larger models belong in the desktop app.
  let maxModelBytes = 1024 * 1024 * 1024;
  const MODEL_FILES = ['config.json', 'model.safetensors', 'tokenizer.json'];

  function humanSize(n) {
    if (n >= 1e9) return (n / 1e9).toFixed(2) + ' GB';
    if (n >= 1e6) return (n / 1e6).toFixed(1) + ' MB';
    if (n >= 1e3) return (n / 1e3).toFixed(1) + ' kB';
    return n + ' bytes';
  }

  function showError(message) {
    status.textContent = message;
    status.className = 'error';
  }

  if (!canvas.getContext('webgl2')) {
    showError('attnscope needs WebGL2, which this browser does not provide.');
  }

  function call(name, ...args) { return Module['_' + name](...args); }

  function withString(text, fn) {
    const size = lengthBytes(text) + 1;
    const ptr = Module._malloc(size);
    Module.stringToUTF8(text, ptr, size);
    try { return fn(ptr); } finally { Module._free(ptr); }
  }
  function lengthBytes(text) { return Module.lengthBytesUTF8(text); }

  function progress(request, fraction, stage) {
    withString(request, (r) => withString(stage, (s) => call('attnscope_load_progress', r, fraction, s)));
  }

  // Hands one file to the app; the app owns the copy in WASM memory from then on.
  function addFile(request, name, bytes) {
    const ptr = Module._malloc(Math.max(bytes.length, 1));
    if (!ptr) throw new Error(`not enough memory for ${name} (${bytes.length} bytes)`);
    Module.attnscopeCopyIn(bytes, ptr);
    withString(request, (r) => withString(name, (n) => call('attnscope_add_file', r, n, ptr, bytes.length)));
  }

  function done(request, error) {
    withString(request, (r) => withString(error || '', (e) => call('attnscope_files_done', r, e)));
  }

  // Reads a response body chunk by chunk, reporting progress over the whole request.
  async function readWithProgress(response, onBytes) {
    const reader = response.body.getReader();
    const chunks = [];
    let received = 0;
    for (;;) {
      const { done: finished, value } = await reader.read();
      if (finished) break;
      chunks.push(value);
      received += value.length;
      onBytes(value.length);
    }
    const out = new Uint8Array(received);
    let offset = 0;
    for (const c of chunks) { out.set(c, offset); offset += c.length; }
    return out;
  }

  // Bundled files once fetched, by path: switching back to a model needs no network (offline
  // too), and costs a copy into WASM memory, not a download. About 13 MB for both models.
  const bundledCache = new Map();

  async function fetchBundled(request, folder, names) {
    try {
      const missing = names.filter((n) => !bundledCache.has(`${folder}/${n}`));
      const heads = await Promise.all(missing.map((n) => fetch(`models/${folder}/${n}`, { method: 'HEAD' })));
      const total = heads.reduce((sum, r) => sum + Number(r.headers.get('content-length') || 0), 0);
      let loaded = 0;
      for (const name of missing) {
        const response = await fetch(`models/${folder}/${name}`);
        if (!response.ok) throw new Error(`cannot fetch models/${folder}/${name}: HTTP ${response.status}`);
        const bytes = await readWithProgress(response, (n) => {
          loaded += n;
          progress(request, total ? loaded / total : 0, `${folder}: ${name}`);
        });
        bundledCache.set(`${folder}/${name}`, bytes);
      }
      for (const name of names) addFile(request, name, bundledCache.get(`${folder}/${name}`));
      done(request, '');
    } catch (e) {
      const offline = navigator.onLine === false ? ' (this browser is offline)' : '';
      done(request, String(e.message || e) + offline);
    }
  }

  let uploads = 0;

  // Files chosen or dropped before the app has started (the WASM still compiling) wait for it.
  let markAppReady;
  const appReady = new Promise((resolve) => { markAppReady = resolve; });

  // The user's own model: the files of a Hugging Face folder, from the picker or a drop.
  async function loadUserFiles(fileList) {
    const files = Array.from(fileList);
    await appReady;
    const byName = new Map(files.map((f) => [f.name, f]));
    // The tokenizer is optional (tokenizer.json, or vocab.json + merges.txt, or none: the prompt
    // is then typed as token ids); config.json and the weights are not.
    const missing = [];
    if (!byName.has('config.json')) missing.push('config.json');
    if (!files.some((f) => f.name.endsWith('.safetensors'))) missing.push('model.safetensors');
    const folder = (files[0] && files[0].webkitRelativePath && files[0].webkitRelativePath.split('/')[0]) || 'your model';
    const request = 'model:' + folder + '#upload' + (++uploads);
    if (missing.length) {
      done(request, `missing ${missing.join(' and ')}: choose the model folder's config.json, ` +
        'model.safetensors (or its shards) and tokenizer.json');
      return;
    }
    const total = files.reduce((s, f) => s + f.size, 0);
    if (total > maxModelBytes) {
      done(request, `${folder} is ${humanSize(total)}; the browser can hold models up to ` +
        `${humanSize(maxModelBytes)} (32-bit WebAssembly memory, weights kept as float32). ` +
        'Open it in the desktop app instead: ./setup.sh run --desktop');
      return;
    }
    try {
      let loaded = 0;
      for (const f of files) {
        const wanted = MODEL_FILES.includes(f.name) || f.name.endsWith('.safetensors') ||
          f.name === 'model.safetensors.index.json' || f.name === 'vocab.json' || f.name === 'merges.txt' ||
          f.name === 'tokenizer_config.json';
        if (!wanted) continue;
        const bytes = new Uint8Array(await f.arrayBuffer());
        loaded += f.size;
        progress(request, loaded / total, `${folder}: ${f.name}`);
        addFile(request, f.name, bytes);
      }
      done(request, '');
    } catch (e) {
      done(request, String(e.message || e));
    }
  }

  // A session file (ui/app/session.h): one .json, read whole into WASM memory, so its size is
  // checked first (the app says the limit at start).
  let maxSessionBytes = 64 * 1024 * 1024;
  let sessions = 0;
  const MODEL_JSON = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.json',
    'model.safetensors.index.json', 'generation_config.json', 'special_tokens_map.json'];
  const isSessionFile = (files) => files.length === 1 && /\.json$/i.test(files[0].name) &&
    !MODEL_JSON.includes(files[0].name);

  async function loadSessionFile(file) {
    await appReady;
    const request = 'session#upload' + (++sessions);
    if (file.size > maxSessionBytes) {
      done(request, `${file.name} is ${humanSize(file.size)}; session files are read up to ` +
        humanSize(maxSessionBytes));
      return;
    }
    try {
      addFile(request, 'session.json', new Uint8Array(await file.arrayBuffer()));
      done(request, '');
    } catch (e) {
      done(request, String(e.message || e));
    }
  }

  const sessionPicker = document.createElement('input');
  sessionPicker.type = 'file';
  sessionPicker.accept = '.json,application/json';
  sessionPicker.id = 'session-file';
  sessionPicker.style.display = 'none';
  sessionPicker.addEventListener('change', () => {
    if (sessionPicker.files.length) loadSessionFile(sessionPicker.files[0]);
    sessionPicker.value = '';
  });
  document.body.appendChild(sessionPicker);

  const picker = document.createElement('input');
  picker.type = 'file';
  picker.multiple = true;
  picker.id = 'model-files';
  picker.style.display = 'none';
  picker.addEventListener('change', () => { if (picker.files.length) loadUserFiles(picker.files); picker.value = ''; });
  document.body.appendChild(picker);

  // While files are dragged over the page, an overlay says what dropping them does. dragenter
  // and dragleave fire for every element crossed, so a counter tells when the drag has left.
  const dropHint = document.getElementById('drop-hint');
  let dragDepth = 0;
  const draggingFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes('Files');
  const showDropHint = (on) => { dropHint.hidden = !on; if (!on) dragDepth = 0; };
  window.addEventListener('dragenter', (e) => {
    if (!draggingFiles(e)) return;
    e.preventDefault();
    dragDepth++;
    showDropHint(true);
  });
  window.addEventListener('dragleave', (e) => {
    if (!draggingFiles(e)) return;
    if (--dragDepth <= 0) showDropHint(false);
  });
  window.addEventListener('dragover', (e) => { e.preventDefault(); if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy'; });
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    showDropHint(false);
    const files = Array.from(e.dataTransfer.files);
    if (isSessionFile(files)) loadSessionFile(files[0]);
    else if (files.length) loadUserFiles(files);
  });

  // The clipboard. Emscripten's GLFW keeps its own (a stub), so the app asks here instead: a
  // paste event (Ctrl+V, the browser's menu) leaves its text for ImGui's Ctrl+V, which reads it
  // in the next frame, after the event; ImGui's copies go to the system clipboard.
  let clipboardText = '';
  document.addEventListener('paste', (e) => {
    const text = e.clipboardData ? e.clipboardData.getData('text/plain') : '';
    if (text) clipboardText = text;
    e.preventDefault();
  });
  function setClipboard(text) {
    clipboardText = text;
    if (navigator.clipboard && navigator.clipboard.writeText)
      navigator.clipboard.writeText(text).catch((e) => console.log('clipboard write refused: ' + e));
  }

  canvas.addEventListener('contextmenu', (e) => e.preventDefault());

  function download(name, bytes, mime) {
    const url = URL.createObjectURL(new Blob([bytes], { type: mime }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  window.attnscopeHost = {
    fetchBundled,
    openPicker: () => picker.click(),
    openSessionPicker: () => sessionPicker.click(),
    setMaxSessionBytes: (n) => { maxSessionBytes = n; },
    loadUserFiles,
    download,
    // Raw: the app decodes it itself (decodeURIComponent throws on a stray '%').
    initialView: () => location.hash.slice(1),
    setClipboard,
    appReady: () => markAppReady(),
    clipboardText: () => clipboardText,
    setView: (query) => history.replaceState(null, '', '#' + query),
    // Sets the prompt and runs it, as typing it and pressing Enter does.
    // The size limit, adjustable so that tests can exercise the message without gigabytes.
    setMaxModelBytes: (n) => { maxModelBytes = n; },
    setPrompt: (text) => withString(text, (p) => call('attnscope_set_prompt', p)),
  };

  window.Module = {
    canvas,
    print: (text) => console.log(text),
    printErr: (text) => console.warn(text),
    setStatus: (text) => { if (status.className !== 'error') status.textContent = text; },
    onRuntimeInitialized: () => { status.textContent = ''; },
    onAbort: (what) => showError('attnscope stopped: ' + what),
  };
  // Threads need SharedArrayBuffer, which browsers give only to cross-origin isolated pages
  // (`attnscope serve` sends COOP/COEP): then the threaded build, else the one that splits long
  // work across frames.
  window.attnscopeCrossOriginIsolated = window.crossOriginIsolated === true;
  const script = document.createElement('script');
  script.src = window.attnscopeCrossOriginIsolated ? 'attnscope-mt.js' : 'attnscope.js';
  script.onerror = () => showError(`cannot load ${script.src}`);
  document.body.appendChild(script);
  window.attnscopePageStart = performance.now();
})();
