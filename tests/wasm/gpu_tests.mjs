// gpu_tests.mjs — runs the threaded WASM GPU tests (attnscope_gpu_tests.js) under node, with
// navigator.gpu from dawn.node (npm `webgpu`, installed in tests/browser by setup.sh) on whatever
// adapter Vulkan offers: SwiftShader without a GPU (VK_ICD_FILENAMES, set by run_all.sh).
//
//   node tests/wasm/gpu_tests.mjs build-wasm-mt/attnscope_gpu_tests.js [doctest options]
import {createRequire} from 'node:module';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [binary, ...options] = process.argv.slice(2);
if (!binary) {
  console.error('usage: node gpu_tests.mjs attnscope_gpu_tests.js [doctest options]');
  process.exit(2);
}
const webgpu = join(here, '..', 'browser', 'node_modules', 'webgpu', 'index.js');
const {create, globals} = await import(pathToFileURL(webgpu));
Object.assign(globalThis, globals);
globalThis.navigator = {gpu: create([])};
// Emscripten 3.1.6's output takes node's fetch for a browser's and cannot load the .wasm with it
// (elsewhere node runs with --no-experimental-fetch).
globalThis.fetch = undefined;
process.argv = [process.argv[0], resolve(binary), ...options];
createRequire(import.meta.url)(resolve(binary));  // runs main(); exits with its status
