#!/usr/bin/env python3
"""hostile_inputs.py — crafted model folders, files and prompts thrown at the attnscope CLI.

    hostile_inputs.py ATTNSCOPE [--table OUT.md] [--before OTHER_ATTNSCOPE]

Each case builds its input in a temporary folder (from the committed fixtures), runs the CLI once
with a 60 s limit and records the first stderr line, the exit code, the wall time and the peak
resident memory of that process (GNU time's %M; apt package `time`). A case passes when the CLI ends by itself
with the expected exit code (1 for refused inputs, 0 where a defined result is the answer), says
the expected words in one line, and is not killed by a signal. --before runs the same cases with
another build (e.g. main before these fixes) and adds its outcome as a column.
Exits non-zero if any case fails. Standard library only.
"""
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "models", "fixtures")


def safetensors_bytes(header, data=b""):
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def fixture_copy(tmp, name, model="gpt2"):
    path = os.path.join(tmp, name)
    shutil.copytree(os.path.join(FIXTURES, model), path)
    ref = os.path.join(path, "reference.safetensors")
    if os.path.exists(ref):
        os.remove(ref)
    return path


def edit_json(path, change):
    with open(path) as f:
        value = json.load(f)
    change(value)
    with open(path, "w") as f:
        json.dump(value, f)


def edit_text(path, old, new):
    with open(path) as f:
        text = f.read()
    assert old in text, (path, old)
    with open(path, "w") as f:
        f.write(text.replace(old, new, 1))


def read_tensors(path):
    """(header dict, data bytes) of a safetensors file."""
    with open(path, "rb") as f:
        blob = f.read()
    n = struct.unpack("<Q", blob[:8])[0]
    return json.loads(blob[8:8 + n]), blob[8 + n:]


def poison(path, tensor, value):
    """Writes float32 `value` into the first element of `tensor` (an F32 tensor)."""
    header, data = read_tensors(path)
    begin = header[tensor]["data_offsets"][0]
    data = data[:begin] + struct.pack("<f", value) + data[begin + 4:]
    with open(path, "wb") as f:
        f.write(safetensors_bytes(header, data))


def build_cases(tmp):
    """[(name, argv after the binary, expected exit code, expected words)]"""
    cases = []

    def model_case(name, make, expect, code=1, command=("info", "--model")):
        folder = fixture_copy(tmp, name.replace(" ", "_").replace("/", "_"))
        make(folder)
        cases.append((name, list(command) + [folder], code, expect))

    cfg = lambda f: os.path.join(f, "config.json")
    st = lambda f: os.path.join(f, "model.safetensors")
    tok = lambda f: os.path.join(f, "tokenizer.json")

    # config.json
    model_case("no config.json", lambda f: os.remove(cfg(f)), "no config.json")
    model_case("config.json not JSON", lambda f: open(cfg(f), "w").write('{"model_type": '),
               "not valid JSON")
    model_case("config.json nested 100k arrays",
               lambda f: open(cfg(f), "w").write("[" * 100000 + "]" * 100000),
               "nested deeper than 64")
    model_case("config.json: no model_type",
               lambda f: edit_json(cfg(f), lambda c: c.pop("model_type")), "no model_type")
    model_case("model_type with terminal escapes",
               lambda f: edit_json(cfg(f), lambda c: c.update(model_type="\x1b]0;owned\x07x")),
               "unsupported architecture '\\x1b]0;owned\\x07x'")
    model_case("n_layer 100000", lambda f: edit_json(cfg(f), lambda c: c.update(n_layer=100000)),
               "implausibly large")
    model_case("n_embd 2^31-8 with n_inner (int overflow)",
               lambda f: edit_json(cfg(f), lambda c: c.update(n_embd=2147483640, n_inner=256,
                                                             n_head=8)),
               "implausibly large")
    folder = fixture_copy(tmp, "llama_head_dim", "llama")
    edit_json(cfg(folder), lambda c: c.update(head_dim=2147483647))
    cases.append(("llama head_dim 2^31-1 (int overflow)", ["info", "--model", folder], 1,
                  "implausibly large"))
    folder = fixture_copy(tmp, "llama_rope", "llama")
    edit_json(cfg(folder), lambda c: c["rope_parameters"].update(rope_theta=1e300))
    cases.append(("llama rope_theta 1e300", ["info", "--model", folder], 1, "out of range"))
    folder = fixture_copy(tmp, "neox_partial", "gpt_neox")
    edit_json(cfg(folder), lambda c: c.update(rotary_pct=2.0, partial_rotary_factor=2.0))
    cases.append(("gpt_neox partial rotary factor 2", ["info", "--model", folder], 1,
                  "partial rotary factor"))
    model_case("negative layer_norm_epsilon",
               lambda f: edit_json(cfg(f), lambda c: c.update(layer_norm_epsilon=-1e-5)),
               "epsilon")

    # model.safetensors
    model_case("no model.safetensors", lambda f: os.remove(st(f)), "no model.safetensors")
    model_case("empty model.safetensors", lambda f: open(st(f), "wb").close(), "too short")
    model_case("header length past the end",
               lambda f: open(st(f), "wb").write(struct.pack("<Q", 1000) + b"{}"),
               "runs past the end")
    model_case("header length 2^63",
               lambda f: open(st(f), "wb").write(struct.pack("<Q", 1 << 63) + b"{}"),
               "implausibly large")
    model_case("header not JSON", lambda f: open(st(f), "wb").write(safetensors_bytes(b"{nope")),
               "not valid JSON")
    model_case("header nested 100k",
               lambda f: open(st(f), "wb").write(
                   safetensors_bytes(b"[" * 100000 + b"]" * 100000)),
               "nested deeper than 8")
    dup = (b'{"transformer.wte.weight":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
           b'"transformer.wte.weight":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}')
    model_case("duplicate tensor key",
               lambda f: open(st(f), "wb").write(safetensors_bytes(dup, b"\0" * 8)),
               "appears twice")
    model_case("overlapping offsets",
               lambda f: open(st(f), "wb").write(safetensors_bytes(
                   {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                    "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12)),
               "overlap")
    model_case("dtype x shape != byte range",
               lambda f: open(st(f), "wb").write(safetensors_bytes(
                   {"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8)),
               "needs 12 bytes")
    model_case("shape product overflows",
               lambda f: open(st(f), "wb").write(safetensors_bytes(
                   {"a": {"dtype": "F32", "shape": [1 << 40, 1 << 40], "data_offsets": [0, 0]}})),
               "overflows")
    model_case("unknown dtype",
               lambda f: open(st(f), "wb").write(safetensors_bytes(
                   {"a": {"dtype": "Q4", "shape": [1], "data_offsets": [0, 1]}}, b"\0")),
               "unknown dtype")
    many = {f"t{i}": {"dtype": "U8", "shape": [0], "data_offsets": [0, 0]} for i in range(200000)}
    model_case("a header of 200,000 tensors",
               lambda f: open(st(f), "wb").write(safetensors_bytes(many)),
               "missing tensor")
    model_case("NaN weights",
               lambda f: poison(st(f), "transformer.h.0.attn.c_attn.weight", float("nan")),
               "tensor 'transformer.h.0.attn.c_attn.weight' holds NaN")
    model_case("Inf weights", lambda f: poison(st(f), "transformer.ln_f.bias", float("inf")),
               "tensor 'transformer.ln_f.bias' holds Inf")

    def huge(f):  # a sparse 26 GB file whose tensor matches its config
        edit_json(cfg(f), lambda c: c.update(vocab_size=400000, n_embd=16384, n_head=16,
                                             n_layer=1, n_positions=16))
        n = 400000 * 16384 * 4
        with open(st(f), "wb") as out:
            out.write(safetensors_bytes(
                {"transformer.wte.weight": {"dtype": "F32", "shape": [400000, 16384],
                                            "data_offsets": [0, n]}}))
            out.truncate(out.tell() + n)
    model_case("sparse 26 GB tensor matching its config", huge, "need about")

    # the sharded index
    def index(f, weight_map, text=None):
        os.remove(st(f))
        with open(os.path.join(f, "model.safetensors.index.json"), "w") as out:
            out.write(text if text is not None else json.dumps({"weight_map": weight_map}))
    model_case("index: shard outside the folder",
               lambda f: index(f, {"transformer.wte.weight": "../../etc/passwd"}),
               "not in")
    model_case("index nested 100k", lambda f: index(f, None, "[" * 100000 + "]" * 100000),
               "nested deeper than 8")
    model_case("index: missing shard",
               lambda f: index(f, {"transformer.wte.weight": "model-00001.safetensors"}),
               "not in")
    model_case("index: duplicate tensor", lambda f: index(f, None,
               '{"weight_map": {"a": "x.safetensors", "a": "y.safetensors"}}'), "appears twice")

    # tokenizers: the model still loads (exit 0), the tokenizer is refused with its reason
    model_case("tokenizer.json normalizer nested 60k arrays",
               lambda f: edit_text(tok(f), '"normalizer": null',
                                   '"normalizer": ' + "[" * 60000 + "]" * 60000),
               "tokenizer: none (tokenizer.json is nested deeper than 64", code=0)
    seq = '{"type": "Sequence", "normalizers": ['
    model_case("tokenizer.json 25k nested Sequence normalizers",
               lambda f: edit_text(tok(f), '"normalizer": null',
                                   '"normalizer": ' + seq * 25000 + '{"type": "NFC"}' +
                                   "]}" * 25000),
               "nested deeper than 64", code=0)
    model_case("tokenizer.json of 30 MB (one long string)",
               lambda f: open(tok(f), "w").write('{"x": "' + "a" * 30_000_000 + '"}'),
               "tokenizer: none", code=0)

    def vocab_files(f, vocab_text):
        os.remove(tok(f))
        open(os.path.join(f, "vocab.json"), "w").write(vocab_text)
        open(os.path.join(f, "merges.txt"), "w").write("#version: 0.2\na b\n")
    model_case("vocab.json not an object", lambda f: vocab_files(f, "[1, 2]"),
               "not an object", code=0)

    # prompts, with the gpt2 fixture (context 256)
    gpt2 = fixture_copy(tmp, "prompts")
    tokenize = ["tokenize", "--model", gpt2, "--text"]
    cases.append(("prompt: invalid UTF-8", tokenize + ["\udcff\udcfe abc"], 0, "tokens"))
    cases.append(("prompt: control characters", tokenize + ["a\x01\x1b[2J\x7fb"], 0, "tokens"))
    dump = ["dump", "--model", gpt2, "--out", os.path.join(tmp, "out.safetensors"), "--text"]
    cases.append(("prompt: 100,000 characters", dump + ["the cat " * 12500], 1,
                  "more than the model's context of 256"))
    cases.append(("prompt: ids outside the vocabulary",
                  ["dump", "--model", gpt2, "--out", os.path.join(tmp, "o"), "--ids", "1,99999"],
                  1, "outside the vocabulary"))
    nfc = fixture_copy(tmp, "nfc")
    edit_text(tok(nfc), '"normalizer": null', '"normalizer": {"type": "NFC"}')
    cases.append(("prompt: 50,000 combining marks (NFC)",
                  ["tokenize", "--model", nfc, "--text", "a" + "\u0301\u0316" * 25000], 0,
                  "tokens"))
    return cases


def measured(binary, argv):
    """(exit code, stdout, stderr, seconds, peak RSS in MB) of one run. GNU time measures the
    peak (a child forked from this Python process would report the parent's pages)."""
    env = dict(os.environ, LC_ALL="C.UTF-8")
    with tempfile.NamedTemporaryFile("r") as stats:
        argv_bytes = [a.encode("utf-8", "surrogateescape")
                      for a in ["/usr/bin/time", "-f", "%M", "-o", stats.name, binary] + argv]
        start = time.monotonic()
        proc = subprocess.Popen(argv_bytes, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        seconds = time.monotonic() - start
        report = stats.read().splitlines()
    code = proc.returncode
    for line in report:
        if line.startswith("Command terminated by signal"):
            code = -int(line.split()[-1])
    peak_kb = int(report[-1]) if report and report[-1].strip().isdigit() else 0
    return code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), seconds, \
        peak_kb / 1024.0


TMP_PREFIX = None  # the cases' temporary folder, shown as "DIR" in the table


def first_line(text, limit=110):
    lines = [l for l in text.splitlines() if l.strip()]
    line = lines[0] if lines else ""
    if TMP_PREFIX:
        line = line.replace(TMP_PREFIX, "DIR")
    line = line.replace("|", "\\|")
    return line if len(line) <= limit else line[:limit] + "…"


def outcome(code):
    if code < 0:
        return "killed by " + signal.Signals(-code).name
    return str(code)


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        return 2
    binary = os.path.abspath(args[0])
    table = before = None
    if "--table" in args:
        table = args[args.index("--table") + 1]
    if "--before" in args:
        before = os.path.abspath(args[args.index("--before") + 1])
    tmp = tempfile.mkdtemp(prefix="attnscope-hostile-")
    global TMP_PREFIX
    TMP_PREFIX = tmp
    failures = 0
    rows = []
    try:
        cases = build_cases(tmp)
        for name, argv, want_code, expect in cases:
            code, out, err, seconds, peak = measured(binary, argv)
            text = err if code != 0 else out + err
            message_lines = [l for l in err.splitlines() if l.startswith("attnscope: error")]
            ok = (code == want_code and expect in (out + err) and len(message_lines) <= 1)
            shown = first_line(err) if code != 0 else first_line(
                next((l for l in out.splitlines() if expect.split(" ")[0] in l), out))
            row = [name, shown, outcome(code), f"{seconds:.2f}", f"{peak:.0f}",
                   "ok" if ok else "FAIL"]
            if before:
                bcode, _, berr, bsec, bpeak = measured(before, argv)
                row.append(f"{outcome(bcode)}, {bsec:.2f} s, {bpeak:.0f} MB: "
                           f"{first_line(berr, 60)}")
            rows.append(row)
            print(("ok   " if ok else "FAIL ") + f"{name}: exit {outcome(code)}, {seconds:.2f} s, "
                  f"{peak:.0f} MB: {first_line(text)}")
            if not ok:
                failures += 1
                print(f"     expected exit {want_code} and '{expect}'")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if table:
        header = ["input", "message (first line)", "exit", "time (s)", "peak RSS (MB)", "verdict"]
        if before:
            header.append("before (main)")
        with open(table, "w") as f:
            f.write("| " + " | ".join(header) + " |\n")
            f.write("|" + "---|" * len(header) + "\n")
            for row in rows:
                f.write("| " + " | ".join(row) + " |\n")
    print(f"hostile inputs: {len(rows) - failures} ok, {failures} failed, of {len(rows)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
