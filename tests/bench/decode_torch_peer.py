"""decode_torch_peer.py — the PyTorch peer of `attnscope bench --decode`: one-token generation
steps with transformers' key/value cache (past_key_values), after a prompt of --tokens, on a
random-init model of the same shape (forward_torch_peer.py builds it), eager attention, float32.
A step is timed from the token id to its last position's logits and the next token's id on the
host (the argmax, read back), as attnscope's step ends with its logits on the host.

    python3 tests/bench/decode_torch_peer.py --device cuda --tokens 128 --decode 32 --json
    python3 tests/bench/decode_torch_peer.py --threads 1 --tokens 128 --decode 32
"""
import argparse
import json
import time

import torch
import transformers

from forward_torch_peer import build, prompt_ids


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--shape", default="gpt2-small", choices=["gpt2-small", "smollm-135m"])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--tokens", type=int, default=128, help="prompt length")
    p.add_argument("--decode", type=int, default=32, help="timed steps per round")
    p.add_argument("--repeat", type=int, default=3, help="timed rounds, after one warm-up round")
    p.add_argument("--attentions", action="store_true", help="each step returns its patterns")
    p.add_argument("--json", action="store_true")
    p.add_argument("--device", default="cpu", help="cpu, or cuda for the GPU peer")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model, vocab = build(a.shape)
    model = model.eval().to(a.device)
    ids = prompt_ids(a.tokens, vocab, a.device)
    times = []
    with torch.inference_mode():
        for r in range(a.repeat + 1):
            out = model(ids, use_cache=True)
            past = out.past_key_values
            next_id = int(out.logits[0, -1].argmax())
            for _ in range(a.decode):
                t = time.perf_counter()
                step = torch.tensor([[next_id]], device=a.device)
                out = model(step, past_key_values=past, use_cache=True,
                            output_attentions=a.attentions)
                past = out.past_key_values
                next_id = int(out.logits[0, -1].argmax())  # waits for the GPU
                if r > 0:
                    times.append(time.perf_counter() - t)
    times.sort()
    median, best = times[len(times) // 2] * 1e3, times[0] * 1e3
    result = {"peer": f"torch {torch.__version__}, transformers {transformers.__version__}",
              "device": a.device, "shape": a.shape, "threads": a.threads,
              "prompt_tokens": a.tokens, "decode_steps": a.decode, "repeat": a.repeat,
              "attentions": a.attentions, "median_ms_per_step": median,
              "best_ms_per_step": best, "tokens_per_s": 1e3 / median}
    if a.json:
        print(json.dumps(result))
    else:
        print(f"torch {torch.__version__} {a.device} threads={a.threads}: {a.shape}, "
              f"{a.tokens}-token prompt, {a.decode} steps: median {median:.2f} ms a step, "
              f"best {best:.2f} ms, {1e3 / median:.1f} tokens/s")


if __name__ == "__main__":
    main()
