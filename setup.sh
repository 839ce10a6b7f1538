#!/usr/bin/env bash
# setup.sh — installs what a fresh Debian bookworm machine lacks, builds attnscope, and runs a job.
#
#   ./setup.sh            install + build native and WASM
#   ./setup.sh run        ... then serve the explorer on http://127.0.0.1:8000 (COOP/COEP on)
#   ./setup.sh run --desktop   ... then start the native desktop app instead
#   ./setup.sh test       ... then run every test (native, WASM under node, Chromium, Xvfb)
#
# Idempotent: each step checks first and is quick when everything is present.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
JOBS=${JOBS:-$(nproc)}

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }

APT_PACKAGES=(
  build-essential cmake pkg-config clang-format dpkg-dev
  emscripten nodejs
  xtensor-dev libhwy-dev libstb-dev doctest-dev nlohmann-json3-dev fonts-dejavu-core
  libcli11-dev libcpp-httplib-dev libbenchmark-dev
  libglfw3-dev libgl-dev libegl-dev
  chromium xvfb xauth libvulkan1
  clang libclang-rt-14-dev apache2-utils curl python3 time
)

sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_apt() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing apt packages: ${missing[*]}"
    sudo_if_needed apt-get update -q
    DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

# Dear ImGui 1.86 from Debian's source package: the binary package lacks the sources the WASM
# build needs, and both targets compile it with 32-bit draw indices (see CMakeLists.txt).
fetch_imgui() {
  local dest=$ROOT/.deps/imgui
  [ -f "$dest/imgui.cpp" ] && return 0
  if ! grep -rqs '^Types: deb-src' /etc/apt/sources.list.d/ /etc/apt/sources.list 2>/dev/null; then
    log "adding a deb-src entry for apt-get source"
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
      sudo_if_needed tee /etc/apt/sources.list.d/debian-src.sources >/dev/null
    sudo_if_needed apt-get update -q
  fi
  log "fetching imgui sources (apt-get source imgui)"
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && apt-get source -q --download-only imgui >/dev/null && dpkg-source -x --no-check imgui_*.dsc src >/dev/null)
  mkdir -p "$ROOT/.deps"
  rm -rf "$dest"; mv "$tmp/src" "$dest"; rm -rf "$tmp"
}

install_npm() {
  local dir=$ROOT/tests/browser
  if [ ! -d "$dir/node_modules/playwright-core" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    log "installing npm packages (tests/browser)"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
}

build_native() {
  log "building native (build/)"
  cmake -S "$ROOT" -B "$ROOT/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$ROOT/build" -j"$JOBS"
}

build_wasm() {
  log "building WASM (build-wasm/)"
  NODE_PATH=/usr/share/nodejs emcmake cmake -S "$ROOT" -B "$ROOT/build-wasm" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$ROOT/build-wasm" -j"$JOBS"
  # The threaded explorer (pthreads; for cross-origin isolated pages), written next to the other.
  log "building WASM with threads (build-wasm-mt/ -> build-wasm/public/attnscope-mt.*)"
  NODE_PATH=/usr/share/nodejs emcmake cmake -S "$ROOT" -B "$ROOT/build-wasm-mt" -DCMAKE_BUILD_TYPE=Release \
    -DATTNSCOPE_WASM_THREADS=ON -DATTNSCOPE_WEB_OUT="$ROOT/build-wasm/public" >/dev/null
  cmake --build "$ROOT/build-wasm-mt" -j"$JOBS" --target attnscope_web attnscope_gpu_tests attnscope_gpu_tests_page
}

# ASan + UBSan (clang), with the libFuzzer targets: only what tests/run_all.sh runs there.
build_asan() {
  log "building the sanitizer and fuzzing build (build-asan/)"
  CC=clang CXX=clang++ cmake -S "$ROOT" -B "$ROOT/build-asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DATTNSCOPE_SANITIZE=ON -DATTNSCOPE_FUZZ=ON >/dev/null
  local fuzzers; fuzzers=$(cd "$ROOT/tests/fuzz" && ls fuzz_*.cpp | sed 's/\.cpp$//')
  # shellcheck disable=SC2086
  cmake --build "$ROOT/build-asan" -j"$JOBS" --target attnscope attnscope_unit_tests $fuzzers
}

install_apt
fetch_imgui
install_npm
build_native
build_wasm
build_asan

case "${1:-}" in
  "") ;;
  run)
    shift
    if [ "${1:-}" = "--desktop" ]; then shift; exec "$ROOT/build/attnscope-desktop" "$@"; fi
    exec "$ROOT/build/attnscope" serve --root "$ROOT/build-wasm/public" "$@" ;;
  test)
    shift
    exec "$ROOT/tests/run_all.sh" "$@" ;;
  *) echo "usage: $0 [run [--desktop] | test]" >&2; exit 2 ;;
esac
