"""torch_plain_gpt2.py — a plain PyTorch GPT-2 (no transformers), the CPU peer of `attnscope bench`
for issue 12: eager attention (causal mask, softmax) that keeps every layer's attention pattern
(a list of [heads, T, T] tensors, like output_attentions), float32, torch.inference_mode().

It reads and writes Hugging Face GPT-2 folders (config.json + model.safetensors, HF tensor names,
Conv1D [in, out] layouts), so it times the same weights attnscope loads:

    python3 tests/bench/torch_plain_gpt2.py --save /tmp/gpt2-rand          # random init, seed 0
    python3 tests/bench/torch_plain_gpt2.py --model /tmp/gpt2-rand --tokens 1024 --threads 2 --json
    attnscope dump --model /tmp/gpt2-rand --ids 464,2068,7586 --out /tmp/as.safetensors
    python3 tests/bench/torch_plain_gpt2.py --model /tmp/gpt2-rand --ids 464,2068,7586 --compare /tmp/as.safetensors

Random init: every matrix and embedding N(0, 0.02); biases N(0, 0.02) and LayerNorm gains
1 + N(0, 0.02) (not HF's zeros and ones) so that a numerical comparison exercises every tensor.
The timed forward pass is batch 1; ids are (i * 7919 + 13) % vocab, as forward_torch_peer.py.
"""
import argparse
import json
import math
import os
import resource
import statistics
import struct
import sys
import time

# Debian's torch calls the system BLAS (OpenBLAS through libblas.so.3) and does not pass it
# torch.set_num_threads: OpenBLAS's thread count is fixed from --threads before torch loads it;
# torch's own OpenMP threads (the non-GEMM ops) from --omp-threads (default: --threads).
def _arg(name, default):
    v = [a.split("=", 1)[1] for a in sys.argv if a.startswith(name + "=")] or \
        [sys.argv[i + 1] for i, a in enumerate(sys.argv[:-1]) if a == name]
    return v[-1] if v else default


os.environ.setdefault("OPENBLAS_NUM_THREADS", _arg("--threads", "1"))
os.environ.setdefault("OMP_NUM_THREADS", _arg("--omp-threads", _arg("--threads", "1")))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

GPT2_SMALL = dict(n_layer=12, n_head=12, n_embd=768, n_positions=1024, vocab_size=50257)


def tensor_shapes(cfg):
    C, V, P = cfg["n_embd"], cfg["vocab_size"], cfg["n_positions"]
    Fm = cfg.get("n_inner") or 4 * C
    shapes = {"wte.weight": [V, C], "wpe.weight": [P, C]}
    for i in range(cfg["n_layer"]):
        h = f"h.{i}."
        shapes.update({
            h + "ln_1.weight": [C], h + "ln_1.bias": [C],
            h + "attn.c_attn.weight": [C, 3 * C], h + "attn.c_attn.bias": [3 * C],
            h + "attn.c_proj.weight": [C, C], h + "attn.c_proj.bias": [C],
            h + "ln_2.weight": [C], h + "ln_2.bias": [C],
            h + "mlp.c_fc.weight": [C, Fm], h + "mlp.c_fc.bias": [Fm],
            h + "mlp.c_proj.weight": [Fm, C], h + "mlp.c_proj.bias": [C]})
    shapes.update({"ln_f.weight": [C], "ln_f.bias": [C]})
    return shapes


def random_weights(cfg, seed=0):
    g = torch.Generator().manual_seed(seed)
    w = {}
    for name, shape in tensor_shapes(cfg).items():
        t = torch.randn(shape, generator=g) * 0.02
        if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name == "ln_f.weight":
            t += 1.0
        w[name] = t.float().contiguous()
    return w


def save_folder(path, cfg, weights):
    """config.json (HF GPT2Config keys) + model.safetensors written by hand."""
    os.makedirs(path, exist_ok=True)
    config = dict(model_type="gpt2", architectures=["GPT2LMHeadModel"], **cfg,
                  n_ctx=cfg["n_positions"], layer_norm_epsilon=1e-5,
                  activation_function="gelu_new", n_inner=None, tie_word_embeddings=True,
                  scale_attn_weights=True, bos_token_id=50256, eos_token_id=50256)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name, t in weights.items():
        b = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)  # the data starts 8-byte aligned
    with open(os.path.join(path, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(file):
    with open(file, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base, w = 8 + n, {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        b, e = info["data_offsets"]
        arr = np.frombuffer(data, dtype="<f4", count=(e - b) // 4, offset=base + b)
        w[name] = torch.from_numpy(arr.copy()).reshape(info["shape"])
    return w


def load_folder(path):
    with open(os.path.join(path, "config.json")) as f:
        cfg = json.load(f)
    assert cfg["model_type"] == "gpt2" and cfg.get("activation_function", "gelu_new") == "gelu_new"
    w = read_safetensors(os.path.join(path, "model.safetensors"))
    return cfg, {k.removeprefix("transformer."): v for k, v in w.items()}


def forward(cfg, w, ids):
    """ids: 1-D LongTensor of T tokens. Returns logits [T, vocab] and a list of [H, T, T] patterns."""
    H, C, T = cfg["n_head"], cfg["n_embd"], ids.shape[0]
    D, eps = C // H, cfg.get("layer_norm_epsilon", 1e-5)
    x = w["wte.weight"][ids] + w["wpe.weight"][:T]
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    patterns = []
    for i in range(cfg["n_layer"]):
        p = f"h.{i}."
        h = F.layer_norm(x, (C,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = torch.addmm(w[p + "attn.c_attn.bias"], h, w[p + "attn.c_attn.weight"])  # Conv1D: x @ W
        q, k, v = (t.reshape(T, H, D).transpose(0, 1) for t in qkv.split(C, dim=1))  # [H, T, D]
        scores = torch.matmul(q, k.transpose(1, 2)) / math.sqrt(D)
        scores = scores.masked_fill(~causal, float("-inf"))
        pattern = torch.softmax(scores, dim=-1)
        patterns.append(pattern)
        z = torch.matmul(pattern, v).transpose(0, 1).reshape(T, C)
        x = x + torch.addmm(w[p + "attn.c_proj.bias"], z, w[p + "attn.c_proj.weight"])
        h = F.layer_norm(x, (C,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        m = F.gelu(torch.addmm(w[p + "mlp.c_fc.bias"], h, w[p + "mlp.c_fc.weight"]), approximate="tanh")
        x = x + torch.addmm(w[p + "mlp.c_proj.bias"], m, w[p + "mlp.c_proj.weight"])
    x = F.layer_norm(x, (C,), w["ln_f.weight"], w["ln_f.bias"], eps)
    return x @ w["wte.weight"].t(), patterns


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--save", help="write a random-init GPT-2 small folder here and exit")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", help="HF GPT-2 folder to load and time")
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--threads", type=int, default=1, help="OpenBLAS threads (the GEMMs)")
    p.add_argument("--omp-threads", type=int, help="torch.set_num_threads (default: --threads)")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--ids", help="run these ids once and print the top logits instead of timing")
    p.add_argument("--compare", help="with --ids: attnscope dump's .safetensors to diff against")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    omp = a.omp_threads or a.threads
    torch.set_num_threads(omp)
    if a.save:
        save_folder(a.save, GPT2_SMALL, random_weights(GPT2_SMALL, a.seed))
        print(f"wrote {a.save}")
        return
    cfg, w = load_folder(a.model)
    with torch.inference_mode():
        if a.ids:
            ids = torch.tensor([int(s) for s in a.ids.split(",")])
            logits, patterns = forward(cfg, w, ids)
            top = torch.topk(logits[-1], 5)
            print("torch     last-position top5 ids", top.indices.tolist(),
                  "logits", [round(v, 6) for v in top.values.tolist()])
            if a.compare:
                ref = read_safetensors(a.compare)
                ref_logits = ref["logits"].reshape(logits.shape)
                rt = torch.topk(ref_logits[-1], 5)
                print("attnscope last-position top5 ids", rt.indices.tolist(),
                      "logits", [round(v, 6) for v in rt.values.tolist()])
                print(f"logits: max |diff| {(logits - ref_logits).abs().max().item():.3e} over "
                      f"{logits.numel()} values (max |logit| {logits.abs().max().item():.3f}); "
                      f"argmax equal at {(logits.argmax(-1) == ref_logits.argmax(-1)).sum().item()}"
                      f"/{ids.shape[0]} positions")
                pd = max((pt - ref[f"blocks.{i}.attn.hook_pattern"].reshape(pt.shape)).abs().max().item()
                         for i, pt in enumerate(patterns))
                print(f"patterns: max |diff| {pd:.3e} over {len(patterns)} layers")
            return
        ids = torch.tensor([(i * 7919 + 13) % cfg["vocab_size"] for i in range(a.tokens)])
        forward(cfg, w, ids)  # warm-up
        times = []
        for _ in range(a.repeat):
            t = time.perf_counter()
            logits, patterns = forward(cfg, w, ids)
            times.append((time.perf_counter() - t) * 1e3)
            assert len(patterns) == cfg["n_layer"] and patterns[0].shape == (cfg["n_head"], a.tokens, a.tokens)
            del logits, patterns
    med = statistics.median(times)
    res = dict(peer="torch-plain", torch=torch.__version__, tokens=a.tokens, threads=a.threads,
               omp_threads=torch.get_num_threads(), openblas_threads=os.environ["OPENBLAS_NUM_THREADS"],
               omp_wait_policy=os.environ.get("OMP_WAIT_POLICY", ""),
               repeat=a.repeat, median_ms=round(med, 2), best_ms=round(min(times), 2),
               tokens_per_s=round(a.tokens / med * 1e3, 1),
               peak_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))
    print(json.dumps(res) if a.json else res)


if __name__ == "__main__":
    main()
