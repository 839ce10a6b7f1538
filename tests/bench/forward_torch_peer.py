"""forward_torch_peer.py — the PyTorch peer of `attnscope bench`: forward passes of a random-init
model of the same shape in PyTorch on the CPU, transformers' eager attention, float32, every
attention pattern kept (output_attentions=True) unless --no-attentions. `--attention sdpa
--no-attentions` is PyTorch's own pass without patterns (its fused scaled_dot_product_attention),
the peer of `attnscope bench --capture none`.

    python3 tests/bench/forward_torch_peer.py --shape gpt2-small --tokens 128 --threads 1 --json
    python3 tests/bench/forward_torch_peer.py --shape smollm-135m --tokens 1024 --threads 16
    python3 tests/bench/forward_torch_peer.py --device cuda --tokens 1024   # the GPU peer
    python3 tests/bench/forward_torch_peer.py --tokens 1024 --attention sdpa --no-attentions
    python3 tests/bench/forward_torch_peer.py --mkldnn-fp32-precision bf16   # PyTorch's bf16 setting

`--mkldnn-fp32-precision bf16` sets `torch.backends.mkldnn.matmul.fp32_precision` (PyTorch 2.9+):
float32 products in one bfloat16 pass through oneDNN. Which instructions oneDNN then picks (AMX
tiles, AVX-512 BF16 or a widening fallback) this script does not check: ONEDNN_VERBOSE=1 says. It
is PyTorch's nearest setting to `attnscope bench --matmul-precision high`, less accurate than it
(one bfloat16 part per operand where attnscope keeps two, bf16x3); the peer's default is ieee.
"""
import argparse
import json
import resource
import time

import torch
import transformers


def prompt_ids(tokens: int, vocab: int, device: str = "cpu") -> torch.Tensor:
    """The token ids of every peer's timed prompt, [1, tokens]: the ids `attnscope bench` uses."""
    return torch.tensor([[(i * 7919 + 13) % vocab for i in range(tokens)]], device=device)


def build(shape: str, attention: str = "eager"):
    if shape == "gpt2-small":
        config = transformers.GPT2Config(attn_implementation=attention)
        return transformers.GPT2LMHeadModel(config), config.vocab_size
    if shape == "smollm-135m":
        config = transformers.LlamaConfig(
            hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
            num_key_value_heads=3, vocab_size=49152, max_position_embeddings=2048,
            tie_word_embeddings=True, rms_norm_eps=1e-5, attn_implementation=attention)
        return transformers.LlamaForCausalLM(config), config.vocab_size
    raise SystemExit(f"unknown shape {shape}")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--shape", default="gpt2-small", choices=["gpt2-small", "smollm-135m"])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--no-attentions", action="store_true")
    p.add_argument("--attention", default="eager", choices=["eager", "sdpa"],
                   help="transformers' attention implementation (sdpa cannot return patterns)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--device", default="cpu", help="cpu, or cuda for the GPU peer")
    p.add_argument("--mkldnn-fp32-precision", default="ieee", choices=["ieee", "bf16", "tf32"],
                   help="torch.backends.mkldnn.matmul.fp32_precision (PyTorch 2.9+)")
    a = p.parse_args()
    if a.mkldnn_fp32_precision != "ieee":
        if not hasattr(torch.backends.mkldnn, "matmul"):
            raise SystemExit(f"torch {torch.__version__} has no torch.backends.mkldnn.matmul "
                             "(PyTorch 2.9 added it)")
        torch.backends.mkldnn.matmul.fp32_precision = a.mkldnn_fp32_precision
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.attention == "sdpa" and not a.no_attentions:
        raise SystemExit("--attention sdpa returns no patterns: add --no-attentions")
    model, vocab = build(a.shape, a.attention)
    model = model.eval().to(a.device)
    ids = prompt_ids(a.tokens, vocab, a.device)
    # On the GPU a forward is timed to its end: every kernel done, outputs (logits and patterns)
    # left on the device.
    sync = torch.cuda.synchronize if a.device.startswith("cuda") else (lambda: None)
    attentions = not a.no_attentions
    with torch.inference_mode():
        model(ids, output_attentions=attentions)  # warm-up
        times = []
        for _ in range(a.repeat):
            sync()
            t = time.perf_counter()
            out = model(ids, output_attentions=attentions)
            sync()
            times.append(time.perf_counter() - t)
            del out
        # How far the reduced-precision products move the logits: against the same pass in ieee.
        logit_error = None
        if a.mkldnn_fp32_precision != "ieee":
            fast = model(ids).logits.double()
            torch.backends.mkldnn.matmul.fp32_precision = "ieee"
            exact = model(ids).logits.double()
            logit_error = ((fast - exact).abs().max() / exact.abs().max()).item()
    times.sort()
    median, best = times[len(times) // 2] * 1e3, times[0] * 1e3
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"peer": f"torch {torch.__version__}, transformers {transformers.__version__}",
              "device": a.device, "shape": a.shape, "threads": a.threads, "tokens": a.tokens,
              "attentions": attentions, "attention": a.attention, "repeat": a.repeat,
              "mkldnn_fp32_precision": a.mkldnn_fp32_precision,
              "logits_rel_error_vs_ieee": logit_error,
              "median_ms": median, "best_ms": best, "peak_rss_mb": rss}
    if a.json:
        print(json.dumps(result))
    else:
        print(f"torch {torch.__version__} {a.device} threads={a.threads}: {a.shape} forward, "
              f"{a.tokens} tokens, attentions={attentions}: median {median:.1f} ms, "
              f"best {best:.1f} ms, peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
