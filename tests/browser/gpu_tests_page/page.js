// page.js — the Module of attnscope_gpu_tests.js in a page: doctest's options from the query
// (?arg=-tc=...), its output kept in window.gpuTests.log (and shown), its exit status in
// window.gpuTests.exit, for tests/browser/gpu_tests_page.test.mjs to wait on.
var Module = (() => {
  window.gpuTests = { log: [], exit: null };
  const shown = document.getElementById('log');
  const keep = (line) => {
    window.gpuTests.log.push(line);
    shown.textContent += line + '\n';
  };
  return {
    arguments: new URLSearchParams(location.search).getAll('arg'),
    print: keep,
    printErr: keep,
    onExit: (code) => { window.gpuTests.exit = code; },
  };
})();
