#!/usr/bin/env bash
# device_webgpu.sh — issue 13's GPU cells on the GPU machine (tool library: device): `attnscope
# bench --backend webgpu` (Dawn on the H200's Vulkan driver) on the GPT-2-small shape at T = 128
# and 1024, next to PyTorch CUDA eager with output_attentions=True (forward_torch_peer.py
# --device cuda), in one run; then the GEMM on the same GPU against cuBLAS (gemm_torch_peer.py).
#
# The binary travels in build-dev13/ with its Debian libraries and loader (as device_forward.sh
# says), Dawn's libwebgpu_wrapper.so xz-compressed, and the Vulkan loader's and GLVND's .debs in
# .gl/ (the device README: `apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1
# libglx0 libgles2`):
#   run (carry build-dev13 and .gl): bash build-dev13/device_webgpu.sh  (writes $OUT/device_webgpu.txt)
set -u
dir=${BIN_DIR:-$(cd "$(dirname "$0")" && pwd)}
out=${OUT:-/tmp}/device_webgpu.txt
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
[ -f "$dir/libwebgpu_wrapper.so" ] || xz -dk "$dir/libwebgpu_wrapper.so.xz"
export ATTNSCOPE_WEBGPU_LIBRARY=$dir/libwebgpu_wrapper.so
# NVIDIA's Vulkan driver (libGLX_nvidia) needs the GLVND and EGL libraries of .gl too.
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
# The NVIDIA Vulkan driver is linked against the machine's own glibc (newer than Debian 12's), so
# the binary runs on the machine's loader and C/C++ runtime (backward compatible), with only the
# other Debian libraries (Highway, stb, httplib, ...) from the carried folder.
mkdir -p "$dir/extra"
for l in "$dir"/lib/*; do
  case $(basename "$l") in ld-linux*|libc.so*|libm.so*|libstdc++*|libgcc_s*) ;; *) ln -sf "$l" "$dir/extra/";; esac
done
bin=(env LD_LIBRARY_PATH="$dir/extra" "$dir/attnscope")
log() { echo "$*" | tee -a "$out"; }
: >"$out"
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; nproc; } 2>&1 | tee -a "$out"
for tokens in 128 1024; do
  repeat=$([ "$tokens" = 128 ] && echo 20 || echo 10)
  for capture in patterns none; do
    log "\$ attnscope bench --backend webgpu --shape gpt2-small --tokens $tokens --capture $capture --repeat $repeat --json"
    timeout 300 "${bin[@]}" bench --backend webgpu --shape gpt2-small --tokens "$tokens" --capture "$capture" \
      --repeat "$repeat" --json 2>&1 | tr -d '\n' | tee -a "$out"
    echo | tee -a "$out"
  done
  for att in "" "--no-attentions"; do
    log "\$ python3 forward_torch_peer.py --device cuda --shape gpt2-small --tokens $tokens --repeat $repeat $att --json"
    python3 "$dir/forward_torch_peer.py" --device cuda --shape gpt2-small --tokens "$tokens" \
      --repeat "$repeat" $att --json 2>&1 | tail -3 | tee -a "$out"
  done
done
# The backend's choices, each forced in turn, at both lengths with patterns: the attention
# kernel's query rows per invocation (ATTNSCOPE_WEBGPU_ATTENTION_ROWS) and split-k off.
for tokens in 128 1024; do
  repeat=$([ "$tokens" = 128 ] && echo 20 || echo 10)
  for choice in ATTNSCOPE_WEBGPU_ATTENTION_ROWS=1 ATTNSCOPE_WEBGPU_ATTENTION_ROWS=2 \
    ATTNSCOPE_WEBGPU_ATTENTION_ROWS=4 ATTNSCOPE_WEBGPU_SPLITK=off; do
    log "\$ $choice attnscope bench --backend webgpu --shape gpt2-small --tokens $tokens --capture patterns --repeat $repeat --json"
    env "$choice" timeout 300 "${bin[@]}" bench --backend webgpu --shape gpt2-small --tokens "$tokens" \
      --capture patterns --repeat "$repeat" --json 2>&1 | tr -d '\n' | tee -a "$out"
    echo | tee -a "$out"
  done
done
# Where a T = 1024 pass with patterns spends its GPU time: one more pass, each kernel waited for.
log "\$ attnscope bench --backend webgpu --shape gpt2-small --tokens 1024 --capture patterns --repeat 2 --profile"
timeout 300 "${bin[@]}" bench --backend webgpu --shape gpt2-small --tokens 1024 --capture patterns \
  --repeat 2 --profile 2>&1 | tee -a "$out"
# The matmul's share of cuBLAS: the same four products of a GPT-2 small block on both sides;
# then each tile size forced (ATTNSCOPE_WEBGPU_TILE), to check the backend's choice among them.
for tokens in 128 1024; do
  for tile in 32 64; do
    log "\$ ATTNSCOPE_WEBGPU_TILE=$tile attnscope bench --gemm --backend webgpu --tokens $tokens --repeat 10 --json"
    ATTNSCOPE_WEBGPU_TILE=$tile timeout 300 "${bin[@]}" bench --gemm --backend webgpu --tokens "$tokens" \
      --repeat 10 --json 2>&1 | tr -d '\n' | tee -a "$out"
    echo | tee -a "$out"
  done
  log "\$ attnscope bench --gemm --backend webgpu --tokens $tokens --repeat 10 --json"
  timeout 300 "${bin[@]}" bench --gemm --backend webgpu --tokens "$tokens" --repeat 10 --json 2>&1 |
    tr -d '\n' | tee -a "$out"
  echo | tee -a "$out"
  log "\$ python3 gemm_torch_peer.py --tokens $tokens --repeat 10 --json"
  python3 "$dir/gemm_torch_peer.py" --tokens "$tokens" --repeat 10 --json 2>&1 | tail -3 | tee -a "$out"
done
log "== done"
