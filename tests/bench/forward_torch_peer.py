"""forward_torch_peer.py — the peer for bench_sweep's BM_Forward: one forward pass of a
GPT-2-small-shaped model (12 x 12 heads, d_model 768, vocab 50257, random init) on 32 tokens, in
PyTorch on the CPU with transformers' eager attention, float32.

    python3 tests/bench/forward_torch_peer.py --threads 1
"""
import argparse
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--tokens", type=int, default=32)
    p.add_argument("--repeats", type=int, default=20)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(attn_implementation="eager")).eval()
    ids = torch.tensor([[(i * 7919 + 13) % 50257 for i in range(a.tokens)]])
    with torch.inference_mode():
        for _ in range(3):
            model(ids)
        times = []
        for _ in range(a.repeats):
            t = time.perf_counter()
            model(ids)
            times.append(time.perf_counter() - t)
    times.sort()
    print(f"torch {torch.__version__} cpu threads={a.threads}: GPT-2-small forward, {a.tokens} tokens: "
          f"median {times[len(times) // 2] * 1e3:.1f} ms, best {times[0] * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
