// webgpu_browser.js — the JavaScript half of the browser's GPU device (webgpu_browser.cpp).
//
// An Emscripten JS library: each attnscope_gpu_* function is proxied to the page's main thread
// (`__proxy: 'async'`), in the order the job's thread called them, and answers by writing an
// Answer {int32 state; char message[1024]} in WASM memory and waking the waiting thread.
// Memory is always reached through wasmMemory.buffer: another thread may have grown it.
mergeInto(LibraryManager.library, {
  // The device's state, made at the first call. (A function: Emscripten 3.1.6 copies a library
  // object's methods wrongly, a function's source as it is.)
  $attnscopeGpu__deps: ['free'],
  $attnscopeGpu: function() {
    if (attnscopeGpu.state) return attnscopeGpu.state;
    return attnscopeGpu.state = {
      device: null,
      adapterName: '',
      error: '',
      buffers: [],
      pipelines: [],
      encoder: null,
      pass: null,
      dispatches: 0,
      params: null,
      paramsHost: null,
      bindGroups: [],
      pending: [],
      freeStaging: new Map(),
      SLOT_WORDS: 64,
      BATCH: 2048,  // 256-byte parameter slots, as natively

      u8() { return new Uint8Array(wasmMemory.buffer); },
      answer(ptr, ok, message) {
        if (!ptr) return;
        if (!ok) stringToUTF8(String(message), ptr + 4, 1024);
        const i32 = new Int32Array(wasmMemory.buffer);
        Atomics.store(i32, ptr >> 2, ok ? 1 : 2);
        Atomics.notify(i32, ptr >> 2);
      },
      endPass() {
        if (this.pass) {
          this.pass.end();
          this.pass = null;
        }
      },
      submit() {
        if (!this.encoder) return;
        this.endPass();
        if (this.dispatches)
          this.device.queue.writeBuffer(
              this.params, 0, this.paramsHost, 0, this.dispatches * this.SLOT_WORDS);
        this.device.queue.submit([this.encoder.finish()]);
        this.encoder = null;
        this.bindGroups = [];
        this.dispatches = 0;
      },
      staging(n) {
        const list = this.freeStaging.get(n);
        if (list && list.length) return list.pop();
        return this.device.createBuffer({size: n, usage: 0x0001 | 0x0008});  // MAP_READ | COPY_DST
      },
      buffer(id) {
        const b = this.buffers[id];
        if (!b) throw new Error('WebGPU: no buffer ' + id);
        return b;
      },
      // Runs one command stream (webgpu_browser.cpp's Command); see attnscope_gpu_run.
      execute(w) {
        let i = 0;
        while (i < w.length) {
          const op = w[i++];
          if (op === 1) {  // create: id, bytes
            const id = w[i++], size = w[i++];
            this.buffers[id] = this.device.createBuffer({size, usage: 0x0080 | 0x0004 | 0x0008});
          } else if (op === 2) {  // destroy: id (WebGPU waits for submitted work that uses it)
            const id = w[i++];
            this.submit();
            this.buffer(id).destroy();
            this.buffers[id] = null;
          } else if (op === 3) {  // write: id, offset, pointer (ours to free), bytes
            const id = w[i++], offset = w[i++], ptr = w[i++], n = w[i++];
            this.submit();  // a queue write runs before later submissions: recorded work first
            // A copy out of shared memory: dawn.node (the tests' WebGPU under node) crashes on
            // a view of a SharedArrayBuffer, and not every browser takes one.
            this.device.queue.writeBuffer(this.buffer(id), offset, this.u8().slice(ptr, ptr + n));
            _free(ptr);
          } else if (op === 4) {  // read: id, offset, destination, bytes
            const id = w[i++], offset = w[i++], dst = w[i++], n = w[i++];
            const staging = this.staging(n);
            this.endPass();
            if (!this.encoder) this.encoder = this.device.createCommandEncoder();
            this.encoder.copyBufferToBuffer(this.buffer(id), offset, staging, 0, n);
            this.pending.push({staging, dst, n});
          } else if (op === 5) {  // dispatch: pipeline, count, ids..., x, y, z, 32 parameters
            if (this.dispatches === this.BATCH) this.submit();
            const p = this.pipelines[w[i++]], count = w[i++];
            const entries = [];
            for (let b = 0; b < count; b++)
              entries.push({binding: b, resource: {buffer: this.buffer(w[i++])}});
            const x = w[i++], y = w[i++], z = w[i++];
            const slot = this.dispatches * this.SLOT_WORDS;
            this.paramsHost.set(w.subarray(i, i + 32), slot);
            i += 32;
            entries.push(
                {binding: 8, resource: {buffer: this.params, offset: slot * 4, size: 128}});
            const group = this.device.createBindGroup({layout: p.layout, entries});
            if (!this.encoder) this.encoder = this.device.createCommandEncoder();
            if (!this.pass) this.pass = this.encoder.beginComputePass();
            this.pass.setPipeline(p.pipeline);
            this.pass.setBindGroup(0, group);
            this.pass.dispatchWorkgroups(x, y, z);
            this.bindGroups.push(group);
            this.dispatches++;
          } else {
            throw new Error('WebGPU: unknown command ' + op);
          }
        }
      },
      // Waits for every pending read (their maps complete after the work before them) or, with
      // none, for the queue; copies the reads into WASM memory.
      async settle() {
        const pending = this.pending;
        this.pending = [];
        await Promise.all(pending.map(r => r.staging.mapAsync(1, 0, r.n)));  // GPUMapMode.READ
        if (!pending.length) await this.device.queue.onSubmittedWorkDone();
        const heap = this.u8();
        for (const r of pending) {
          heap.set(new Uint8Array(r.staging.getMappedRange(0, r.n)), r.dst);
          r.staging.unmap();
          if (!this.freeStaging.has(r.n)) this.freeStaging.set(r.n, []);
          this.freeStaging.get(r.n).push(r.staging);
        }
      },
    };
  },

  attnscope_gpu_open__proxy: 'async',
  attnscope_gpu_open__deps: ['$attnscopeGpu'],
  attnscope_gpu_open: function(answer, info) {
    const G = attnscopeGpu();
    (async () => {
      const gpu = typeof navigator !== 'undefined' && navigator.gpu;
      if (!gpu) throw new Error('WebGPU: this browser has no navigator.gpu');
      if (!G.device) {
        const adapter = await gpu.requestAdapter({powerPreference: 'high-performance'});
        if (!adapter) throw new Error('WebGPU: no adapter (the browser offers none to this page)');
        const a = adapter.info || {};
        // Browsers often leave the description empty (fingerprinting); then vendor and
        // architecture ("google swiftshader", "nvidia hopper").
        G.adapterName = a.description ||
            [a.vendor, a.architecture, a.device].filter(s => s).join(' ') || 'unnamed adapter';
        G.software = /swiftshader|llvmpipe|lavapipe/i.test(
            [a.vendor, a.architecture, a.device, a.description].join(' '));
        const limits = adapter.limits;
        // The adapter's own limits: the defaults (128 MiB per binding) are smaller than one
        // GPT-2 embedding table.
        const requiredLimits = {};
        for (const k
                 of ['maxStorageBufferBindingSize', 'maxBufferSize',
                     'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup',
                     'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension',
                     'maxStorageBuffersPerShaderStage'])
          requiredLimits[k] = limits[k];
        const requiredFeatures = ['shader-f16', 'subgroups'].filter(f => adapter.features.has(f));
        const device =
            await adapter.requestDevice({label: 'attnscope', requiredLimits, requiredFeatures});
        const onError = e => {
          if (!G.error) G.error = 'WebGPU: ' + e.error.message;
        };
        if (device.addEventListener)
          device.addEventListener('uncapturederror', onError);
        else
          device.onuncapturederror = onError;
        device.lost.then(l => {
          G.lost = 'WebGPU device lost: ' + l.message;
        });
        G.params = device.createBuffer(
            {size: G.BATCH * G.SLOT_WORDS * 4, usage: 0x0040 | 0x0008});  // UNIFORM | COPY_DST
        G.paramsHost = new Uint32Array(G.BATCH * G.SLOT_WORDS);
        G.features = device.features;
        G.limits = device.limits;
        G.device = device;
      }
      stringToUTF8(G.adapterName, info, 256);
      const i32 = new Int32Array(wasmMemory.buffer, info + 256, 3);
      i32[0] = G.software ? 1 : 0;
      i32[1] = G.features.has('shader-f16') ? 1 : 0;
      i32[2] = G.features.has('subgroups') ? 1 : 0;
      // Two doubles at the next 8-byte boundary (offset 272), then three int32.
      const f64 = new Float64Array(wasmMemory.buffer, info + 272, 2);
      f64[0] = G.limits.maxStorageBufferBindingSize;
      f64[1] = G.limits.maxBufferSize;
      const rest = new Int32Array(wasmMemory.buffer, info + 288, 3);
      rest[0] = G.limits.maxComputeWorkgroupsPerDimension;
      rest[1] = G.limits.maxComputeWorkgroupStorageSize;
      rest[2] = G.limits.maxComputeInvocationsPerWorkgroup;
    })().then(() => G.answer(answer, true), e => G.answer(answer, false, e.message || e));
  },

  attnscope_gpu_pipeline__proxy: 'async',
  attnscope_gpu_pipeline__deps: ['$attnscopeGpu'],
  attnscope_gpu_pipeline: function(id, wgsl, label, answer) {
    const G = attnscopeGpu();
    const code = UTF8ToString(wgsl), name = UTF8ToString(label);
    (async () => {
      const module = G.device.createShaderModule({label: name, code});
      const compiled = await module.getCompilationInfo();
      const errors = compiled.messages.filter(m => m.type === 'error');
      if (errors.length)
        throw new Error(
            'WebGPU: kernel ' + name + ' does not compile: ' +
            errors.map(m => m.lineNum + ':' + m.linePos + ': ' + m.message).join('; '));
      const pipeline = await G.device.createComputePipelineAsync(
          {label: name, layout: 'auto', compute: {module, entryPoint: 'main'}});
      G.pipelines[id] = {pipeline, layout: pipeline.getBindGroupLayout(0)};
    })().then(() => G.answer(answer, true), e => G.answer(answer, false, e.message || String(e)));
  },

  attnscope_gpu_run__proxy: 'async',
  attnscope_gpu_run__deps: ['$attnscopeGpu'],
  // Runs the stream at `commands` (then frees it) and submits. With an answer: waits for the
  // GPU and the reads, then answers with the first error since the last answer, if any.
  attnscope_gpu_run: function(commands, words, answer) {
    const G = attnscopeGpu();
    const fail = e => {
      if (!G.error) G.error = e.message || String(e);
    };
    try {
      if (G.lost) throw new Error(G.lost);
      G.execute(new Uint32Array(wasmMemory.buffer, commands, words).slice());
      G.submit();
    } catch (e) {
      fail(e);
      G.encoder = null;
      G.pass = null;
      G.dispatches = 0;
    }
    _free(commands);
    if (!answer) return;
    G.settle().catch(fail).then(() => {
      const error = G.lost || G.error;
      G.error = '';
      G.answer(answer, !error, error);
    });
  },
});
