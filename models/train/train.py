#!/usr/bin/env python3
"""train.py — trains attnscope's bundled models on the GPU machine and writes them as Hugging Face
folders (config.json, model.safetensors in F16, tokenizer.json) with everything their model
cards report.

  attnscope-kjv    GPT-2 architecture, 4 layers × 8 heads, d_model 256, trained on the King James
                   Bible (public domain; Debian package bible-kjv-text, see prepare_kjv.py) with
                   a byte-level BPE tokenizer (4096 tokens) trained on the same text.
  attnscope-tasks  GPT-2 architecture, 4 layers × 8 heads, d_model 192, trained on a mix of four
                   toy tasks with known circuits (tasks.py): induction, IOI, greater-than,
                   docstring. Writes the positive/negative prompt sets (models/tasks/*.jsonl)
                   and PyTorch's pooled mean-ablation effects (effects_pytorch.json, a
                   cross-check: the shipped ground_truth.json, with the 80% rule and
                   positional ablation, is written by `attnscope ground-truth --json`).

Reproduce (seeds fixed; the GPU machine's torch 2.11 / transformers 5.17):
    python3 models/train/prepare_kjv.py --out .data/kjv          # here: needs Debian's bible-kjv
    python3 models/train/train.py --kjv .data/kjv --out /tmp/out  # on the GPU machine
"""
import argparse
import json
import math
import os
import random
import sys
import time

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import GPT2Config, GPT2LMHeadModel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tasks  # noqa: E402

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def log(*args):
    print(*args, flush=True)


# ---------------------------------------------------------------------------------------------
# Tokenizers

def train_kjv_tokenizer(text, vocab_size=4096):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[tasks.BOS],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(text.split("\n"), trainer)
    return tok


def build_task_tokenizer(texts):
    """A byte-level BPE whose merges make every task word one token and split years as
    " 17" + "32" (as GPT-2 does): merges are written out, chained left to right per word.
    Merges of words after a space come first, then words at the start of a chunk, then digit
    pairs, so that one chain never breaks another; verified below."""
    pre = pre_tokenizers.ByteLevel(add_prefix_space=False)
    chunks = set()
    for text in texts:
        for part in text.split(tasks.BOS):
            chunks.update(c for c, _ in pre.pre_tokenize_str(part))
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    space = "\u0120"  # byte-level "Ġ"
    tiers = {0: [], 1: [], 2: []}
    seen = set()

    def chain(word, tier):
        for i in range(2, len(word) + 1):
            pair = (word[:i - 1], word[i - 1])
            if pair not in seen:
                seen.add(pair)
                tiers[tier].append(pair)

    for chunk in sorted(chunks, key=lambda c: (len(c), c)):
        body = chunk[1:] if chunk.startswith(space) else chunk
        if body.isdigit():
            if chunk.startswith(space):
                chain(chunk[:3], 0)  # " 17" of " 1732"
        elif chunk.startswith(space):
            chain(chunk, 0)
        else:
            chain(chunk, 1)
    for a in "0123456789":
        for b in "0123456789":
            if (a, b) not in seen:
                seen.add((a, b))
                tiers[2].append((a, b))
    merges = tiers[0] + tiers[1] + tiers[2]
    vocab = {tasks.BOS: 0}
    for ch in sorted(alphabet):
        vocab.setdefault(ch, len(vocab))
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([tasks.BOS])
    # Verify: every word is one token; years split as " CC" + "YY".
    for word in sorted(tasks.all_words()):
        ids = tok.encode(" " + word).ids
        assert len(ids) == 1, f"' {word}' is {len(ids)} tokens"
    for y in range(100):
        assert len(tok.encode(f"{y:02d}").ids) == 1
    assert tok.encode(" 1732").tokens == [space + "17", "32"], tok.encode(" 1732").tokens
    return tok


def single_token(tok, s):
    ids = tok.encode(s).ids
    assert len(ids) == 1, (s, ids)
    return ids[0]


# ---------------------------------------------------------------------------------------------
# Models

def make_model(vocab_size, n_layer, n_head, d_model, n_ctx, dropout):
    # No attention dropout: it slows the forming of sharp heads (previous-token, induction).
    cfg = GPT2Config(vocab_size=vocab_size, n_positions=n_ctx, n_embd=d_model, n_layer=n_layer,
                     n_head=n_head, resid_pdrop=dropout, embd_pdrop=dropout, attn_pdrop=0.0,
                     activation_function="gelu_new", bos_token_id=0, eos_token_id=0)
    return GPT2LMHeadModel._from_config(cfg, attn_implementation="eager").to(DEVICE)


def round_to_f16(model):
    """The shipped weights are F16: every number reported is computed with them."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())


def save_model(model, tok, folder, extra_files):
    os.makedirs(folder, exist_ok=True)
    model.config.save_pretrained(folder)
    state = {k: v.detach().cpu().half().contiguous() for k, v in model.state_dict().items()
             if k != "lm_head.weight"}  # tied to transformer.wte
    save_file(state, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    tok.save(os.path.join(folder, "tokenizer.json"))
    for name, content in extra_files.items():
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            f.write(content)


@torch.no_grad()
def save_reference(model, tok, folder, prompts):
    """Logits of a few prompts, for the engine's parity test (computed in float32 on CPU)."""
    cpu = model.to("cpu").eval()
    out = {}
    for i, text in enumerate(prompts):
        ids = torch.tensor([tok.encode(text).ids])
        out[f"P{i}.input_ids"] = ids[0].clone()
        out[f"P{i}.logits"] = cpu(ids).logits[0].float().clone()
    save_file({k: v.contiguous() for k, v in out.items()},
              os.path.join(folder, "reference.safetensors"), metadata={"prompts": json.dumps(prompts)})
    model.to(DEVICE)


def cosine_lr(step, total, base, warmup):
    if step < warmup:
        return base * (step + 1) / warmup
    return base * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


# ---------------------------------------------------------------------------------------------
# The English model

def kjv_batch(train_ids, batch, n_ctx, vocab_size, gen):
    """Random windows of the training text. A small corpus is memorised rather than copied from
    context, so induction heads do not form on it alone: a quarter of the rows repeat a span of
    natural text, another quarter repeat random tokens, so that copying from earlier in the
    context pays. The period is drawn per row (8 to 96 tokens): with a fixed period a head
    attending a fixed distance back would copy without looking at content. Held-out loss is
    measured on plain held-out text."""
    starts = torch.randint(0, len(train_ids) - n_ctx - 1, (batch,), generator=gen)
    x = torch.stack([train_ids[s:s + n_ctx + 1] for s in starts])
    periods = torch.randint(8, 97, (batch,), generator=gen).tolist()
    for r in range(batch // 2):
        period = periods[r]
        if r < batch // 4:
            span = x[r, :period].clone()
        else:
            span = torch.randint(1, vocab_size, (period,), generator=gen)
        x[r] = span.repeat(n_ctx // period + 2)[:n_ctx + 1]
    return x


@torch.no_grad()
def head_structure(model, vocab_size, n=40, seg=32):
    """Max over heads of the previous-token and induction scores on repeated random tokens."""
    g = torch.Generator().manual_seed(9)
    rand = torch.randint(1, vocab_size, (n, seg), generator=g)
    x = torch.cat([rand, rand], dim=1).to(DEVICE)
    out = model(x, output_attentions=True)
    att = out.attentions  # per layer [n, head, T, T]
    copy_loss = F.cross_entropy(out.logits[:, seg:-1].reshape(-1, out.logits.shape[-1]),
                                x[:, seg + 1:].reshape(-1)).item()
    T = 2 * seg
    q = torch.arange(seg, T, device=DEVICE)
    prev, ind = [], []
    for a in att:
        prev.append(a[:, :, torch.arange(1, T), torch.arange(0, T - 1)].mean(dim=(0, 2)))
        ind.append(a[:, :, q, q - seg + 1].mean(dim=(0, 2)))
    prev, ind = torch.stack(prev), torch.stack(ind)  # [layer, head]
    return {"repeated_half_loss": round(copy_loss, 3),
            "max_previous_token_score": round(prev.max().item(), 3),
            "max_induction_score": round(ind.max().item(), 3),
            "previous_token": prev.cpu().numpy().round(3).tolist(),
            "induction": ind.cpu().numpy().round(3).tolist()}

def train_kjv(args):
    train_text = open(os.path.join(args.kjv, "train.txt"), encoding="utf-8").read()
    held_text = open(os.path.join(args.kjv, "heldout.txt"), encoding="utf-8").read()
    tok = train_kjv_tokenizer(train_text)
    train_ids = torch.tensor(tok.encode(train_text).ids, dtype=torch.long)
    held_ids = torch.tensor(tok.encode(held_text).ids, dtype=torch.long)
    log(f"kjv: {len(train_ids)} training tokens, {len(held_ids)} held-out tokens")
    n_ctx, batch = args.kjv_ctx, 64
    torch.manual_seed(1)
    model = make_model(tok.get_vocab_size(), 4, 8, 256, n_ctx, dropout=args.kjv_dropout)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)
    gen = torch.Generator().manual_seed(2)

    def held_out_loss(m):
        was_training = m.training
        m.eval()
        losses = []
        with torch.no_grad():
            for start in range(0, len(held_ids) - n_ctx - 1, n_ctx):
                x = held_ids[start:start + n_ctx + 1].to(DEVICE)
                logits = m(x[None, :-1]).logits[0]
                losses.append(F.cross_entropy(logits, x[1:]).item())
        m.train(was_training)
        return sum(losses) / len(losses)

    best, best_state, history = float("inf"), None, []
    t0 = time.time()
    for step in range(args.kjv_steps):
        x = kjv_batch(train_ids, batch, n_ctx, tok.get_vocab_size(), gen).to(DEVICE)
        for g in opt.param_groups:
            g["lr"] = cosine_lr(step, args.kjv_steps, args.kjv_lr, 200)
        loss = F.cross_entropy(model(x[:, :-1]).logits.reshape(-1, tok.get_vocab_size()),
                               x[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if (step + 1) % 250 == 0 or step + 1 == args.kjv_steps:
            h = held_out_loss(model)
            model.eval()
            st = head_structure(model, tok.get_vocab_size())
            model.train()
            history.append({"step": step + 1, "train_loss": round(loss.item(), 4),
                            "heldout_loss": round(h, 4),
                            "max_previous_token_score": st["max_previous_token_score"],
                            "max_induction_score": st["max_induction_score"]})
            log(f"kjv step {step + 1}: train {loss.item():.3f} held-out {h:.3f} "
                f"prev {st['max_previous_token_score']} induction {st['max_induction_score']} "
                f"repeated-half loss {st['repeated_half_loss']} "
                f"({time.time() - t0:.0f} s)")
            if h < best:
                best = h
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    model.eval()
    round_to_f16(model)
    final = held_out_loss(model)
    model.eval()
    samples = {}
    for prompt in ["In the beginning", "And God said,", "The Lord is my shepherd;",
                   "And the king said unto", "Blessed are the", "The cat sat on the mat."]:
        ids = torch.tensor([tok.encode(prompt).ids], device=DEVICE)
        with torch.no_grad():
            for _ in range(24):
                nxt = model(ids).logits[0, -1].argmax()
                ids = torch.cat([ids, nxt.view(1, 1)], dim=1)
        samples[prompt] = tok.decode(ids[0].tolist())
    structure = head_structure(model, tok.get_vocab_size())
    stats = {"heldout_loss_f16": round(final, 4), "heldout_tokens": len(held_ids),
             "structure": structure,
             "train_tokens": len(train_ids), "history": history, "greedy_samples": samples,
             "steps": args.kjv_steps, "batch": batch, "context": n_ctx,
             "params": sum(p.numel() for p in model.parameters())}
    folder = os.path.join(args.out, "attnscope-kjv")
    save_model(model, tok, folder, {"training.json": json.dumps(stats, indent=1)})
    save_reference(model, tok, folder, ["In the beginning God created the heaven and the earth.",
                                        "The cat sat on the mat. The cat sat on the mat."])
    log(json.dumps({k: v for k, v in stats.items() if k != "history"}, indent=1))


# ---------------------------------------------------------------------------------------------
# The task model

def encode_batch(tok, texts, device):
    ids = [e.ids for e in tok.encode_batch(texts)]
    n = max(len(i) for i in ids)
    x = torch.zeros(len(ids), n, dtype=torch.long)
    mask = torch.zeros(len(ids), n, dtype=torch.bool)
    for r, row in enumerate(ids):
        x[r, :len(row)] = torch.tensor(row)
        mask[r, :len(row)] = True
    return x.to(device), mask.to(device), [len(r) for r in ids]


@torch.no_grad()
def last_logits(model, tok, texts, hooks=()):
    """Logits at each prompt's last token (prompts are right-padded; causal, so padding after
    the last token does not change it)."""
    out = []
    for i in range(0, len(texts), 256):
        x, _, lengths = encode_batch(tok, texts[i:i + 256], DEVICE)
        logits = model(x).logits
        out.append(torch.stack([logits[r, n - 1] for r, n in enumerate(lengths)]))
    return torch.cat(out)


def metric_and_correct(logits, examples, tok):
    metrics, correct = [], []
    for row, ex in zip(logits, examples):
        a = [single_token(tok, s) for s in ex["answers"]]
        d = [single_token(tok, s) for s in ex["distractors"]]
        metrics.append((row[a].mean() - row[d].mean()).item())
        correct.append(row.argmax().item() in a)
    return metrics, correct


def train_tasks(args):
    rng = random.Random(7)
    pool = [tasks.GENERATORS[name](rng) for _ in range(3000) for name in tasks.GENERATORS]
    tok = build_task_tokenizer([e["text"] + a for e in pool for a in e["answers"] + e["distractors"]]
                               + [e["corrupted"] for e in pool])
    log(f"tasks tokenizer: {tok.get_vocab_size()} tokens")
    torch.manual_seed(3)
    model = make_model(tok.get_vocab_size(), 4, 8, 192, 128, dropout=0.0)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.01)
    train_rng = random.Random(11)
    names = list(tasks.GENERATORS)
    t0 = time.time()
    for step in range(args.task_steps):
        texts = [tasks.training_text(tasks.GENERATORS[names[i % 4]](train_rng), train_rng)
                 for i in range(256)]
        x, mask, _ = encode_batch(tok, texts, DEVICE)
        for g in opt.param_groups:
            g["lr"] = cosine_lr(step, args.task_steps, 1e-3, 300)
        logits = model(x[:, :-1]).logits
        target = x[:, 1:].masked_fill(~mask[:, 1:], -100)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                               ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if (step + 1) % 500 == 0:
            log(f"tasks step {step + 1}: loss {loss.item():.3f} ({time.time() - t0:.0f} s)")
    model.eval()
    round_to_f16(model)

    # Evaluation prompts, positives/negatives, ground truth by mean ablation.
    cfg = model.config
    n_layer, n_head, d_head = cfg.n_layer, cfg.n_head, cfg.n_embd // cfg.n_head
    eval_rng = random.Random(2024)
    task_dir = os.path.join(args.out, "tasks")
    os.makedirs(task_dir, exist_ok=True)
    truth, card = {}, {}
    for name in names:
        examples = [tasks.GENERATORS[name](eval_rng) for _ in range(600)]
        clean = last_logits(model, tok, [e["text"] for e in examples])
        metrics, correct = metric_and_correct(clean, examples, tok)
        accuracy = sum(correct) / len(correct)
        positives = [e for e, ok in zip(examples, correct) if ok][:200]
        with open(os.path.join(task_dir, f"{name}_positive.jsonl"), "w") as f:
            for i, e in enumerate(positives):
                f.write(json.dumps({"id": i, "text": e["text"], "answers": e["answers"],
                                    "distractors": e["distractors"]}) + "\n")
        with open(os.path.join(task_dir, f"{name}_negative.jsonl"), "w") as f:
            for i, e in enumerate(positives):
                f.write(json.dumps({"id": i, "text": e["corrupted"], "answers": e["answers"],
                                    "distractors": e["distractors"]}) + "\n")
        # Mean of each head's z over every position of every negative prompt.
        z_sum = torch.zeros(n_layer, n_head * d_head, device=DEVICE)
        z_count = 0
        captured = {}
        handles = [model.transformer.h[l].attn.c_proj.register_forward_pre_hook(
            lambda m, a, l=l: captured.__setitem__(l, a[0])) for l in range(n_layer)]
        neg_texts = [e["corrupted"] for e in positives]
        for i in range(0, len(neg_texts), 256):
            x, mask, _ = encode_batch(tok, neg_texts[i:i + 256], DEVICE)
            with torch.no_grad():
                model(x)
            for l in range(n_layer):
                z_sum[l] += captured[l][mask].sum(0)
            z_count += int(mask.sum())
        for h in handles:
            h.remove()
        z_mean = z_sum / z_count
        pos_texts = [e["text"] for e in positives]
        base_metrics, _ = metric_and_correct(last_logits(model, tok, pos_texts), positives, tok)
        base = sum(base_metrics) / len(base_metrics)
        effects = [[0.0] * n_head for _ in range(n_layer)]
        for l in range(n_layer):
            for hd in range(n_head):
                def ablate(module, a, l=l, hd=hd):
                    z = a[0].clone()
                    z[..., hd * d_head:(hd + 1) * d_head] = z_mean[l, hd * d_head:(hd + 1) * d_head]
                    return (z,) + a[1:]
                handle = model.transformer.h[l].attn.c_proj.register_forward_pre_hook(ablate)
                m, _ = metric_and_correct(last_logits(model, tok, pos_texts), positives, tok)
                handle.remove()
                effects[l][hd] = round((base - sum(m) / len(m)) / base, 4)
        threshold = args.threshold
        heads = [f"L{l}H{hd}" for l in range(n_layer) for hd in range(n_head)
                 if effects[l][hd] >= threshold]
        truth[name] = {"metric": "mean logit of answers - mean logit of distractors, last position",
                       "ablation": "mean: each head's hook_z replaced by its mean over all "
                                   "positions of the negative prompts",
                       "effect": "(clean metric - ablated metric) / clean metric, over positives",
                       "threshold": threshold, "clean_metric": round(base, 4),
                       "effects": effects, "heads": heads}
        card[name] = {"accuracy": round(accuracy, 4), "prompts": len(examples),
                      "positives": len(positives), "mean_metric": round(sum(metrics) / len(metrics), 3),
                      "circuit": heads}
        log(f"{name}: accuracy {accuracy:.3f}, clean metric {base:.3f}, circuit {heads}")
        log("  effects: " + json.dumps(effects))
    with open(os.path.join(task_dir, "effects_pytorch.json"), "w") as f:
        json.dump(truth, f, indent=1)
    folder = os.path.join(args.out, "attnscope-tasks")
    stats = {"tasks": card, "steps": args.task_steps, "batch": 256,
             "params": sum(p.numel() for p in model.parameters()), "final_train_loss": loss.item()}
    save_model(model, tok, folder, {"training.json": json.dumps(stats, indent=1)})
    save_reference(model, tok, folder, [e["text"] for e in
                                        [tasks.GENERATORS[n](random.Random(5)) for n in names]])
    log(json.dumps(stats, indent=1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kjv", required=True, help="folder written by prepare_kjv.py")
    ap.add_argument("--out", required=True)
    ap.add_argument("--kjv-steps", type=int, default=6000)
    ap.add_argument("--kjv-ctx", type=int, default=256)
    ap.add_argument("--kjv-dropout", type=float, default=0.1)
    ap.add_argument("--kjv-lr", type=float, default=1e-3)
    ap.add_argument("--task-steps", type=int, default=6000)
    ap.add_argument("--threshold", type=float, default=0.05)
    ap.add_argument("--only", choices=["kjv", "tasks"])
    args = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = True
    log(f"torch {torch.__version__} on {DEVICE}")
    if args.only != "tasks":
        train_kjv(args)
    if args.only != "kjv":
        train_tasks(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
