"""sae_torch_peer.py — the peer for bench_sae: the same SAE training in PyTorch on the CPU.

The shapes and steps of attnscope's SAE circuit pipeline on a GPT-2-small-shaped model
(core/sae/sparse_autoencoder.h): 1440 rows (10 prompts x 144 heads) of d_model 768, 200 hidden
units, ReLU, tied pre-encoder/post-decoder bias, unit-norm decoder columns after every step,
loss = mean squared error + 0.02 * mean over rows of the L1 norm of the code, Adam (lr 1e-3),
500 full-batch epochs. Random data, as bench_sae's BM_SaeEpoch uses.

    python3 tests/bench/sae_torch_peer.py --threads 1
"""
import argparse
import time

import torch


def train(x: torch.Tensor, hidden: int, epochs: int, l1: float, lr: float) -> float:
    n, d = x.shape
    g = torch.Generator().manual_seed(0)
    w_enc = ((torch.rand(hidden, d, generator=g) * 2 - 1) * (6.0 / d) ** 0.5).requires_grad_()
    w_dec = ((torch.rand(d, hidden, generator=g) * 2 - 1) * (6.0 / hidden) ** 0.5)
    w_dec = (w_dec / w_dec.norm(dim=0, keepdim=True)).requires_grad_()
    b_enc = torch.zeros(hidden, requires_grad=True)
    b_dec = torch.zeros(d, requires_grad=True)
    opt = torch.optim.Adam([w_enc, b_enc, w_dec, b_dec], lr=lr)
    loss = torch.tensor(0.0)
    for _ in range(epochs):
        h = torch.relu((x - b_dec) @ w_enc.T + b_enc)
        x_hat = h @ w_dec.T + b_dec
        loss = ((x_hat - x) ** 2).mean() + l1 * h.sum(dim=1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            w_dec /= w_dec.norm(dim=0, keepdim=True).clamp_min(1e-12)
    return float(loss)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--rows", type=int, default=1440)
    p.add_argument("--d", type=int, default=768)
    p.add_argument("--hidden", type=int, default=200)
    p.add_argument("--epochs", type=int, default=500)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    x = torch.randn(a.rows, a.d, generator=torch.Generator().manual_seed(2))
    train(x, a.hidden, 5, 0.02, 1e-3)  # warm-up
    best = float("inf")
    for _ in range(a.repeats):
        t = time.perf_counter()
        loss = train(x, a.hidden, a.epochs, 0.02, 1e-3)
        best = min(best, time.perf_counter() - t)
    print(f"torch {torch.__version__} cpu threads={a.threads}: {a.epochs} epochs of "
          f"{a.rows}x{a.d} -> {a.hidden}: best of {a.repeats} {best:.3f} s "
          f"({best / a.epochs * 1e3:.2f} ms/epoch), final loss {loss:.5f}")


if __name__ == "__main__":
    main()
