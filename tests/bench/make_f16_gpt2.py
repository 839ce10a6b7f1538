"""make_f16_gpt2.py — a GPT-2-small-shaped checkpoint in F16 (config.json + model.safetensors,
Hugging Face names and layouts), written with the standard library only, for measuring what
loading a 16-bit checkpoint costs in memory (tests/bench/f16_memory.sh). The values are a
repeating pseudo-random pattern of small halves (std ≈ 0.02): timing and memory do not depend on
them.

    python3 tests/bench/make_f16_gpt2.py /tmp/gpt2-small-f16
"""
import json
import os
import random
import struct
import sys


def main() -> None:
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    L, C, F, V, N = 12, 768, 3072, 50257, 1024
    shapes = {"wte.weight": [V, C], "wpe.weight": [N, C], "ln_f.weight": [C], "ln_f.bias": [C]}
    for i in range(L):
        h = f"h.{i}."
        shapes.update({h + "ln_1.weight": [C], h + "ln_1.bias": [C],
                       h + "attn.c_attn.weight": [C, 3 * C], h + "attn.c_attn.bias": [3 * C],
                       h + "attn.c_proj.weight": [C, C], h + "attn.c_proj.bias": [C],
                       h + "ln_2.weight": [C], h + "ln_2.bias": [C],
                       h + "mlp.c_fc.weight": [C, F], h + "mlp.c_fc.bias": [F],
                       h + "mlp.c_proj.weight": [F, C], h + "mlp.c_proj.bias": [C]})
    rng = random.Random(0)
    pattern = struct.pack("<4096e", *(rng.gauss(0.0, 0.02) for _ in range(4096)))
    ones = struct.pack("<e", 1.0)
    header, offset = {}, 0
    for name, shape in shapes.items():
        n = 1
        for d in shape:
            n *= d
        header[name] = {"dtype": "F16", "shape": shape, "data_offsets": [offset, offset + 2 * n]}
        offset += 2 * n
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(os.path.join(out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for name, shape in shapes.items():
            n = shape[0] * (shape[1] if len(shape) > 1 else 1)
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name == "ln_f.weight":
                f.write(ones * n)
            else:
                whole, rest = divmod(2 * n, len(pattern))
                f.write(pattern * whole + pattern[:rest])
    config = {"model_type": "gpt2", "n_layer": L, "n_head": 12, "n_embd": C, "n_positions": N,
              "vocab_size": V, "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new",
              "torch_dtype": "float16"}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=1)


if __name__ == "__main__":
    main()
