"""gemm_torch_peer.py — the peer of `attnscope bench --gemm --backend webgpu`: the products of one
GPT-2 small block (768 → 2304, 768 → 768, 768 → 3072, 3072 → 768) at --tokens rows as
torch.nn.functional.linear in float32 on CUDA (cuBLAS), timed the same way: batches of 20
launches with one synchronize, best of --repeat. TF32 stays off (PyTorch's default for matmuls),
so both sides do float32 multiply-adds.

    python3 tests/bench/gemm_torch_peer.py --tokens 1024 --json
"""
import argparse
import json
import time

import torch

SHAPES = [("qkv 768x2304", 768, 2304), ("attn_out 768x768", 768, 768),
          ("mlp_up 768x3072", 768, 3072), ("mlp_down 3072x768", 3072, 768)]
BATCH = 20


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--repeat", type=int, default=10)
    p.add_argument("--device", default="cuda")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    rows, total_flops, total_s = [], 0.0, 0.0
    for name, k, n in SHAPES:
        x = torch.full((a.tokens, k), 0.01, device=a.device)
        w = torch.full((n, k), 0.02, device=a.device)
        b = torch.zeros(n, device=a.device)
        best = float("inf")
        for r in range(max(a.repeat, 3) + 1):
            torch.cuda.synchronize()
            start = time.perf_counter()
            for _ in range(BATCH):
                out = torch.nn.functional.linear(x, w, b)
            torch.cuda.synchronize()
            if r > 0:
                best = min(best, (time.perf_counter() - start) / BATCH)
        assert abs(out[0, 0].item() - 0.0002 * k) < 1e-3 * 0.0002 * k
        flops = 2.0 * a.tokens * k * n
        total_flops += flops
        total_s += best
        rows.append({"shape": name, "ms": best * 1e3, "gflop_per_s": flops * 1e-9 / best})
    result = {"peer": f"torch {torch.__version__} cuBLAS, {torch.cuda.get_device_name()}",
              "tokens": a.tokens, "launches_per_sync": BATCH,
              "block_gflop_per_s": total_flops * 1e-9 / total_s, "shapes": rows}
    if a.json:
        print(json.dumps(result))
        return
    for r in rows:
        print(f"  {r['shape']:18s} T={a.tokens}: {r['ms']:8.3f} ms, {r['gflop_per_s']:8.1f} GFLOP/s")
    print(f"GPT-2 small block products: {result['block_gflop_per_s']:.1f} GFLOP/s")


if __name__ == "__main__":
    main()
