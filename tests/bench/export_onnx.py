"""export_onnx.py — exports the plain PyTorch GPT-2 of torch_plain_gpt2.py, loaded from a Hugging
Face GPT-2 folder (the same weights attnscope loads), to ONNX for onnxruntime-web
(tests/bench/ort_browser.mjs): input `input_ids` int64 [T] (T dynamic), outputs `logits` [T, vocab]
and `pattern.0` … `pattern.{L-1}` [heads, T, T] (every attention pattern kept). Opset 17.

    python3 tests/bench/export_onnx.py --model /tmp/attnscope-gpt2-rand --out /tmp/attnscope-gpt2-rand/model.onnx
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

from torch_plain_gpt2 import forward, load_folder  # noqa: E402


class Plain(torch.nn.Module):
    def __init__(self, cfg, w):
        super().__init__()
        self.cfg, self.names = cfg, list(w)
        for i, (name, t) in enumerate(w.items()):
            self.register_buffer(f"w{i}", t)  # buffers become the graph's initializers

    def forward(self, ids):
        w = {name: getattr(self, f"w{i}") for i, name in enumerate(self.names)}
        logits, patterns = forward(self.cfg, w, ids)
        return (logits, *patterns)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    cfg, w = load_folder(a.model)
    model = Plain(cfg, w).eval()
    ids = torch.tensor([464, 2068, 7586, 21831, 18045, 625, 262, 16931])
    L = cfg["n_layer"]
    outputs = ["logits"] + [f"pattern.{i}" for i in range(L)]
    axes = {"input_ids": {0: "T"}, "logits": {0: "T"}}
    axes.update({f"pattern.{i}": {1: "T", 2: "T"} for i in range(L)})
    with torch.no_grad():
        torch.onnx.export(model, (ids,), a.out, input_names=["input_ids"], output_names=outputs,
                          dynamic_axes=axes, opset_version=17, do_constant_folding=True)
    print(f"wrote {a.out} ({os.path.getsize(a.out) / 2**20:.1f} MiB), torch {torch.__version__}")


if __name__ == "__main__":
    main()
