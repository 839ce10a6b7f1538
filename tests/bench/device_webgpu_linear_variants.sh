#!/usr/bin/env bash
# device_webgpu_linear_variants.sh — the WebGPU matmul's variants on the GPU machine, as built at
# commit f5232c1 (the variant switch is gone since: 4x4,2x2 became the kernel): the
# temporary ATTNSCOPE_WEBGPU_LINEAR_VARIANT=AxB,CxD (linear_prefetch with A × B outputs per
# invocation where the 64 × 64 kernel runs and C × D where the 32 × 32 one does; empty: the
# committed kernel), each through `bench --gemm` and a GPT-2 small forward with patterns at
# T = 128 and 1024, cuBLAS and PyTorch CUDA once beside them. Carried as device_webgpu.sh says:
#   run (carry build-dev13 and .gl): bash build-dev13/device_webgpu_linear_variants.sh
set -u
dir=${BIN_DIR:-$(cd "$(dirname "$0")" && pwd)}
out=${OUT:-/tmp}/device_webgpu_linear_variants.txt
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
: >"$out"
for tokens in 128 1024; do
  log "\$ python3 gemm_torch_peer.py --tokens $tokens --repeat 10 --json"
  python3 "$dir/gemm_torch_peer.py" --tokens "$tokens" --repeat 10 --json 2>&1 | tail -1 | tee -a "$out"
  log "\$ python3 forward_torch_peer.py --device cuda --shape gpt2-small --tokens $tokens --repeat 10 --json"
  python3 "$dir/forward_torch_peer.py" --device cuda --shape gpt2-small --tokens "$tokens" --repeat 10 --json 2>&1 | tail -1 | tee -a "$out"
done
for v in ${VARIANTS:-"" 4x4,2x2 4x8,2x4 8x4,4x2 4x8,2x2 8x8,4x4}; do
  for tokens in 128 1024; do
    log "\$ ATTNSCOPE_WEBGPU_LINEAR_VARIANT=$v attnscope bench --gemm --backend webgpu --tokens $tokens --repeat 10 --json"
    ATTNSCOPE_WEBGPU_LINEAR_VARIANT=$v timeout 120 "${bin[@]}" bench --gemm --backend webgpu --tokens "$tokens" \
      --repeat 10 --json 2>&1 | tr -d '\n' | tee -a "$out"
    echo | tee -a "$out"
    log "\$ ATTNSCOPE_WEBGPU_LINEAR_VARIANT=$v attnscope bench --backend webgpu --shape gpt2-small --tokens $tokens --capture patterns --repeat 10 --json"
    ATTNSCOPE_WEBGPU_LINEAR_VARIANT=$v timeout 120 "${bin[@]}" bench --backend webgpu --shape gpt2-small \
      --tokens "$tokens" --capture patterns --repeat 10 --json 2>&1 | tr -d '\n' | tee -a "$out"
    echo | tee -a "$out"
  done
done
log "== done"
