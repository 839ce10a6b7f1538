#!/usr/bin/env bash
# device_decode.sh — generation speed on the GPU machine (tool library: device): `attnscope bench
# --decode` (one-token steps with the key/value cache, logits back on the host each step) on the
# GPT-2-small shape, WebGPU through Dawn on the H200's Vulkan driver with and without subgroups,
# next to PyTorch CUDA eager with past_key_values (decode_torch_peer.py) in the same run; then
# the same on the CPUs (1 and 16 threads) against PyTorch on the CPU.
#
# The binary travels as for device_webgpu.sh (build-dev13/ with its Debian libraries, Dawn's
# library xz-compressed, the Vulkan loader's .debs in .gl/):
#   run (carry build-dev13 and .gl): bash build-dev13/device_decode.sh  (writes $OUT/device_decode.txt)
set -u
dir=${BIN_DIR:-$(cd "$(dirname "$0")" && pwd)}
out=${OUT:-/tmp}/device_decode.txt
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
[ -f "$dir/libwebgpu_wrapper.so" ] || xz -dk "$dir/libwebgpu_wrapper.so.xz"
export ATTNSCOPE_WEBGPU_LIBRARY=$dir/libwebgpu_wrapper.so
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
mkdir -p "$dir/extra"
for l in "$dir"/lib/*; do
  case $(basename "$l") in ld-linux*|libc.so*|libm.so*|libstdc++*|libgcc_s*) ;; *) ln -sf "$l" "$dir/extra/";; esac
done
bin=(env LD_LIBRARY_PATH="$dir/extra" "$dir/attnscope")
log() { echo "$*" | tee -a "$out"; }
run() { log "\$ $*"; timeout 300 "$@" 2>&1 | tr -d '\n' | tee -a "$out"; echo | tee -a "$out"; }
: >"$out"
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; nproc; } 2>&1 | tee -a "$out"
for prompt in 128 960; do
  for capture in none patterns; do
    run "${bin[@]}" bench --backend webgpu --shape gpt2-small --tokens $prompt --decode 32 --repeat 3 --capture $capture --json
    run env ATTNSCOPE_WEBGPU_SUBGROUPS=off "${bin[@]}" bench --backend webgpu --shape gpt2-small --tokens $prompt --decode 32 --repeat 3 --capture $capture --json
  done
  for att in "" "--attentions"; do
    run python3 "$dir/decode_torch_peer.py" --device cuda --tokens $prompt --decode 32 --repeat 3 $att --json
  done
done
# Where a step's GPU time goes (each kernel waited for, so the sum exceeds a step's time).
log "\$ attnscope bench --backend webgpu --shape gpt2-small --tokens 960 --decode 4 --repeat 1 --capture none --profile"
timeout 300 "${bin[@]}" bench --backend webgpu --shape gpt2-small --tokens 960 --decode 4 --repeat 1 \
  --capture none --profile 2>&1 | tee -a "$out"
for threads in 1 16; do
  run "${bin[@]}" bench --shape gpt2-small --tokens 128 --decode 32 --repeat 3 --threads $threads --capture none --json
  run python3 "$dir/decode_torch_peer.py" --tokens 128 --decode 32 --repeat 3 --threads $threads --json
done
log "== done"
