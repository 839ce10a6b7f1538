"""bf16x3_parity.py — would AMX "bf16x3" products keep attnscope's parity bound (1e-4 relative,
logits and patterns)? An emulation for issue 12, run before any AMX kernel is built.

Every weight product of a random-init transformers model (GPT-2's Conv1D, every nn.Linear, the lm
head) is replaced by the bf16x3 split: x = x0 + x1 and w = w0 + w1 with BF16 parts, and
x·w ≈ x0·w0 + x0·w1 + x1·w0, each part product summed in float32 (a product of two BF16 values is
exact in float32, as in AMX's TDPBF16PS). Attention's own products stay float32, as in
attnscope's fused attention. The float32 model and the bf16x3 model are each compared with the same
model in float64:

    python3 tests/bench/bf16x3_parity.py --threads 16 > tests/bench/results/bf16x3_parity.txt

Measures: ‖Δlogits‖/‖logits‖ and max|Δlogits|/max|logits|, and max|Δpattern| over every layer and
head (patterns are probabilities, so absolute). CPU only: on a GPU, float32 products may use TF32.
"""
import argparse

import torch
import transformers

from forward_torch_peer import build, prompt_ids


def split(t: torch.Tensor):
    t0 = t.to(torch.bfloat16).float()
    return t0, (t - t0).to(torch.bfloat16).float()


def bf16x3(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:  # x [.., K] · w [K, N]
    x0, x1 = split(x)
    w0, w1 = split(w)
    return x0 @ w0 + x0 @ w1 + x1 @ w0


EMULATE = {"on": False}
_conv1d_forward = transformers.pytorch_utils.Conv1D.forward
_linear_forward = torch.nn.Linear.forward


def conv1d_forward(self, x):
    if not EMULATE["on"]:
        return _conv1d_forward(self, x)
    return bf16x3(x, self.weight) + self.bias


def linear_forward(self, x):
    if not EMULATE["on"]:
        return _linear_forward(self, x)
    y = bf16x3(x, self.weight.t())
    return y if self.bias is None else y + self.bias


transformers.pytorch_utils.Conv1D.forward = conv1d_forward
torch.nn.Linear.forward = linear_forward


def run(model, ids):
    with torch.no_grad():
        out = model(ids, output_attentions=True)
    return out.logits[0].double(), [a[0].double() for a in out.attentions]


def compare(name, got, ref):
    (lg, pg), (lr, pr) = got, ref
    norm = ((lg - lr).norm() / lr.norm()).item()
    peak = ((lg - lr).abs().max() / lr.abs().max()).item()
    pat = max((a - b).abs().max().item() for a, b in zip(pg, pr))
    print(f"  {name:8s} logits ‖Δ‖/‖ref‖ {norm:.2e}, max|Δ|/max|ref| {peak:.2e}; "
          f"patterns max|Δ| {pat:.2e}")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, "
          f"{a.threads} threads, CPU")
    for shape, tokens in [("gpt2-small", 128), ("gpt2-small", 1024), ("smollm-135m", 128)]:
        torch.manual_seed(0)
        model, vocab = build(shape)
        model = model.eval()
        ids = prompt_ids(tokens, vocab)
        print(f"{shape}, random init (seed 0), T = {tokens}, against float64:")
        EMULATE["on"] = False
        ref = run(model.double(), ids)
        model = model.float()
        compare("float32", run(model, ids), ref)
        EMULATE["on"] = True
        compare("bf16x3", run(model, ids), ref)
        EMULATE["on"] = False


if __name__ == "__main__":
    main()
