"""forward_table.py — the markdown table of device_forward.sh's output: attnscope bench against the
PyTorch peer per cell (median ms), their ratio, and what --capture none saves. A cell run for several
rounds (attnscope and PyTorch alternating) gives each side the median of its rounds' medians.

    python3 tests/bench/forward_table.py tests/bench/results/device_forward.txt
"""
import json
import statistics
import sys


def main() -> None:
    cells, cell = {}, None
    for line in open(sys.argv[1]):
        line = line.strip()
        if line.startswith("== "):
            cell = line[3:] if "T=" in line else None  # other sections are not table cells
        elif line.startswith("{") and line.endswith("}") and cell:
            try:
                j = json.loads(line)
            except json.JSONDecodeError:
                continue
            key = "torch" if "peer" in j else f"{j.get('capture')}/{j.get('model', '')}"
            cells.setdefault(cell, {}).setdefault(key, []).append(j["median_ms"])
    print("| cell | attnscope, patterns (ms) | PyTorch eager, attentions (ms) | ratio | "
          "attnscope, capture none (ms) | none vs patterns |")
    print("| --- | --- | --- | --- | --- | --- |")
    for cell, runs in cells.items():
        ms = {k: statistics.median(v) for k, v in runs.items()}
        torch = ms.get("torch")
        pat = next((v for k, v in ms.items() if k.startswith("patterns/")), None)
        none = next((v for k, v in ms.items() if k.startswith("none/")), None)
        if pat is None:
            continue
        rounds = max(len(v) for v in runs.values())
        name = f"{cell} ({rounds} rounds)" if rounds > 1 else cell
        ratio = f"{pat / torch:.2f}" if torch else "—"
        t = f"{torch:.1f}" if torch else "—"
        n = f"{none:.1f}" if none else ""
        saved = f"{100 * (1 - none / pat):.0f}% faster" if none else ""
        print(f"| {name} | {pat:.1f} | {t} | {ratio} | {n} | {saved} |")

if __name__ == "__main__":
    main()
