"""Train the chatumm-tiny transformer (Chameleon + Mixture-of-Transformers) on
world dialogues and export it. The shipped model's exact command is
tools/train/recipe.sh; this is the general form:

  /usr/bin/python3 tools/train/train.py --vq /tmp/chatumm-train/vq4.pt \
      --work /tmp/chatumm-train --out /tmp/chatumm-tiny --seed 1 --steps 3000

Steps: generate the training dialogues (seeded), train the byte-level BPE on
their text, encode every picture with the trained VQ-GAN encoder, tokenize in
the chat protocol, train with AdamW (loss on model-turn tokens only) for
--steps steps and then --tail-steps more on the tail's data, save a checkpoint
every --save-every steps and export at the end. The schedule is counted in
steps so the recipe gives the same model on a faster or slower machine (up to
floating-point differences between CPUs and thread counts); --max-seconds is
only a safety cap. --no-stage2 trains the ablation without distractor/history
data.
"""
import argparse
import gc
import json
import math
import os
import random
import shutil
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "world"))
import dialogues as D  # noqa: E402
import world as W  # noqa: E402
import natural as N  # noqa: E402
import bpe as BPE  # noqa: E402
import data as DATA  # noqa: E402
import mot as MOT  # noqa: E402
import vq as VQ  # noqa: E402
from export import export  # noqa: E402

MAX_LEN = 512


def load_vq(path):
    ck = torch.load(path)
    m = VQ.VQModel(ck["cfg"])
    m.load_state_dict(ck["state"])
    m.eval()
    return m, ck


def make_dialogues(args, seed, n, shown_edit, hard_edit):
    """n dialogues of seed: the templates' (dialogues.make_dialogue), or with
    --nl-share that share in everyday words (natural.natural_dialogue, drawn
    from their own stream so the templates' stream is the one without it)."""
    rng, nrng = random.Random(seed), random.Random(seed + 500)

    def template():
        return D.make_dialogue(rng, held_out_ok=False, stage2=not args.no_stage2,
                               q_burst=args.q_burst, look_burst=args.look_burst,
                               look_edit=args.look_edit, first_burst=args.first_burst,
                               shown_edit=shown_edit, describe_edits=args.describe_edits,
                               name_target=args.name_target, restate_edits=args.restate_edits,
                               hard_edit=hard_edit, deep_context=args.deep_context)
    if not args.nl_share:
        return [template() for _ in range(n)]
    return [N.natural_dialogue(nrng, default_place=args.nl_default_place) if nrng.random() < args.nl_share else N.fix_old(template())
            for _ in range(n)]


def build(args, log):
    """-> tok, merges, train seqs, tail seqs (empty without --tail-steps), val seqs, num_codes."""
    t0 = time.time()
    dialogues = make_dialogues(args, args.seed, args.n_train, args.shown_edit, args.hard_edit)
    tail = []
    if args.tail_steps > 0:
        tail = make_dialogues(args, args.seed + 10, args.tail_n_train, args.tail_shown_edit,
                              args.tail_hard_edit)
    vrng = random.Random(args.seed + 1_000_003)
    val = [D.make_dialogue(vrng, held_out_ok=False) for _ in range(150)]
    texts = [t for d in dialogues[:6000] for t in DATA.dialogue_texts(d)]
    merges = BPE.train_bpe(texts, args.merges)
    if args.init:  # keep the ids of the checkpoint being continued
        merges = [tuple(m) for m in torch.load(args.init)["merges"]]
    num_codes = len(VQ.patch_table(args.positional_codes))
    tok = BPE.BPE(merges, num_codes, lowercase=args.lowercase)
    codes = DATA.TableCodes(args.positional_codes)
    codes.fill([s for d in dialogues + tail + val for s in DATA.dialogue_scenes(d)])

    def tokenized(ds):
        return [s for s in (DATA.tokenize(d, tok, codes, args.text_first) for d in ds) if len(s[0]) <= MAX_LEN]
    seqs, tseqs, vseqs = tokenized(dialogues), tokenized(tail), tokenized(val)
    log("data: %d train dialogues (%d tokens, %d supervised), %d tail dialogues (%d tokens), %d val; "
        "%d merges, vocab %d; %d distinct pictures; %.0fs" % (
            len(seqs), sum(len(s[0]) for s in seqs), sum(sum(s[1]) for s in seqs),
            len(tseqs), sum(len(s[0]) for s in tseqs), len(vseqs), len(merges), len(tok.vocab),
            len(codes.cache), time.time() - t0))
    return tok, merges, seqs, tseqs, vseqs, num_codes


def check_vq(vq_path, n, seed, log, positional):
    """Fraction of tokens where the trained VQ encoder gives the patch-table
    code, over n fresh scenes (held-out pairs included)."""
    vqm, vqck = load_vq(vq_path)
    rng = random.Random(seed)
    if bool(vqck.get("positional")) != positional:
        raise SystemExit("%s: the VQ's codes are %s but the transformer was trained on %s codes" % (
            vq_path, *(("positional" if p else "place-blind") for p in (vqck.get("positional"), positional))))
    codes, table = DATA.SceneCodes(vqm), VQ.patch_table(positional)
    scenes = [W.random_scene(rng, held_out_ok=True) for _ in range(n)]
    codes.fill(scenes)
    same = sum(sum(a == b for a, b in zip(codes(s), VQ.patch_codes(W.render(s), table))) for s in scenes)
    whole = sum(codes(s) == list(VQ.patch_codes(W.render(s), table)) for s in scenes)
    log("VQ check on %d fresh scenes: %.5f of tokens and %.4f of pictures match the patch table" % (
        n, same / float(n * (W.SIZE // VQ.PATCH) ** 2), whole / float(n)))
    return vqck


def batches(seqs, budget, rng):
    """Length-bucketed batches of at most `budget` padded tokens, shuffled."""
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i][0]) + rng.random())
    out, cur, longest = [], [], 0
    for i in order:
        n = len(seqs[i][0])
        if cur and max(longest, n) * (len(cur) + 1) > budget:
            out.append(cur)
            cur, longest = [], 0
        cur.append(i)
        longest = max(longest, n)
    if cur:
        out.append(cur)
    rng.shuffle(out)
    return out


def collate(seqs, idx, pad):
    T = max(len(seqs[i][0]) for i in idx)
    ids = torch.full((len(idx), T), pad, dtype=torch.long)
    mask = torch.zeros((len(idx), T))
    changed = torch.zeros((len(idx), T), dtype=torch.bool)
    for r, i in enumerate(idx):
        s, m, c = seqs[i]
        ids[r, :len(s)] = torch.tensor(s)
        mask[r, :len(m)] = torch.tensor(m, dtype=torch.float32)
        changed[r, :len(c)] = torch.tensor(c, dtype=torch.bool)
    return ids, mask, changed


def loss_fn(model, ids, mask, changed, img_lo, img_hi, weights=None):
    """-> (objective, mean text loss, mean image loss). The objective is the
    mean loss, or with weights = (per-code weight tensor, changed-code weight,
    text weight) a weighted mean: picture tokens showing part of an object
    count as their code's weight, picture tokens that differ from the previous
    picture at least the changed-code weight, text tokens the text weight."""
    tgt, m = ids[:, 1:], mask[:, 1:]
    keep = m > 0
    logits = model(ids[:, :-1], keep)
    t = tgt[keep]
    ce = F.cross_entropy(logits.float(), t, reduction="none")
    is_img = (t >= img_lo) & (t < img_hi)
    objective = ce.mean()
    if weights is not None:
        code_w, change_w, text_w = weights
        w = torch.full_like(ce, text_w)
        w[is_img] = code_w[t[is_img] - img_lo]
        ch = changed[:, 1:][keep] & is_img
        w[ch] = torch.clamp(w[ch], min=change_w)
        objective = (w * ce).sum() / w.sum()
    return objective, ce[~is_img].mean(), ce[is_img].mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vq", required=True, help="trained VQ checkpoint (read only at export)")
    ap.add_argument("--work", default="/tmp/chatumm-train")
    ap.add_argument("--out", default=None, help="export directory (skipped if not given)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--n-train", type=int, default=40000)
    ap.add_argument("--merges", type=int, default=400)
    ap.add_argument("--steps", type=int, default=3000,
                    help="optimizer steps of the main phase; its lr schedule (linear warmup, then a "
                         "cosine to a tenth) runs on them")
    ap.add_argument("--budget", type=int, default=4096, help="padded tokens per batch")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--d", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ff", type=int, default=768)
    ap.add_argument("--save-every", type=int, default=250)
    ap.add_argument("--max-seconds", type=float, default=0,
                    help="safety cap on the seconds of all steps (0: none): past it the run saves, says "
                         "the schedule was cut short, skips the export and exits 1; the schedule never "
                         "depends on time")
    ap.add_argument("--no-stage2", action="store_true")
    ap.add_argument("--q-burst", type=float, default=0.0,
                    help="probability of a burst of 2-4 more questions after a follow-up or a "
                         "first-picture question (dialogues.question_burst)")
    ap.add_argument("--look-burst", type=float, default=0.0,
                    help="probability of a burst of 2-4 more questions after the first question about a "
                         "picture the user shows (the only questions whose answers no text of the "
                         "dialogue gives away; dialogues.opener)")
    ap.add_argument("--look-edit", type=float, default=0.0,
                    help="probability of 1-2 more edits after an edit of a picture the user shows "
                         "(edits that must find their object in a picture no text describes; "
                         "dialogues.opener)")
    ap.add_argument("--first-burst", type=float, default=0.0,
                    help="probability of a burst of 2-4 more questions after a history question "
                         "about the first picture (dialogues.make_dialogue)")
    ap.add_argument("--shown-edit", type=float, default=0.35,
                    help="share of edits among the openers where the user shows a picture (the rest "
                         "are captions and questions, 3 : 3.5; dialogues.opener)")
    ap.add_argument("--hard-edit", type=float, default=0.0,
                    help="share of those edits (and the edits after them) that act on one object of "
                         "a picture of 2-3, the kind the models miss most (dialogues.opener)")
    ap.add_argument("--describe-edits", type=float, default=0.0,
                    help="share of edit replies that say what the new picture shows before drawing it "
                         "(plan in words, then draw; dialogues.edit_turn)")
    ap.add_argument("--name-target", type=float, default=0.0,
                    help="share of edit replies that first name the object the edit acts on, then draw "
                         "('okay, the big red circle at the top left.'; dialogues.edit_target)")
    ap.add_argument("--restate-edits", type=float, default=0.0,
                    help="share of edit replies that describe the picture before and after the edit, "
                         "then draw ('before: … after: …'; dialogues.edit_turn)")
    ap.add_argument("--deep-context", type=float, default=0.0,
                    help="share of the templates' history queries asked after 4 distractor turns, the "
                         "eval's deepest (dialogues.make_dialogue; 0 keeps the earlier runs' stream)")
    ap.add_argument("--nl-share", type=float, default=0.0,
                    help="share of the dialogues (main and tail) in everyday words (tools/world/natural.py); "
                         "the rest are the templates' with the out-of-world reply to 'who are you?' "
                         "made small talk (natural.fix_old)")
    ap.add_argument("--nl-default-place", action="store_true",
                    help="requests in everyday words that name no place put their objects in the "
                         "center or the middle row (natural.ROW_LAYOUT) instead of at random")
    ap.add_argument("--all-pairs", action="store_true",
                    help="train on the held-out shape/colour pairs too (world.include_held_out): the "
                         "eval's heldout_* tasks then measure pairs the model has seen")
    ap.add_argument("--lowercase", action="store_true",
                    help="a Lowercase normalizer in tokenizer.json (and in this trainer's BPE), so upper "
                         "case reads as the lower-case training text")
    ap.add_argument("--text-first", action="store_true",
                    help="user turns put their text before their images (config.json chatumm_user_turn)")
    ap.add_argument("--tag", default="mot")
    ap.add_argument("--init", default=None, help="continue from this checkpoint (fresh optimizer)")
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--object-weight", type=float, default=1.0,
                    help="loss weight of picture tokens that show part of an object")
    ap.add_argument("--change-weight", type=float, default=1.0,
                    help="least loss weight of picture tokens that differ from the previous picture's")
    ap.add_argument("--text-weight", type=float, default=1.0, help="loss weight of text (and special) tokens")
    ap.add_argument("--factors", action="store_true",
                    help="add per-attribute vectors to the image-code embedding and lm_head rows (mot.code_factors)")
    ap.add_argument("--bf16", action="store_true",
                    help="train steps under bf16 autocast (matmuls in bf16 through oneDNN, weights, "
                         "residual stream and softmax in f32): 1.26x the steps of f32 in the real loop "
                         "on an avx512_bf16 CPU (bench_step.py: 1.4-1.6x a step); validation stays f32. "
                         "Refused on CPUs without avx512_bf16, where torch 1.13 falls back to a slow matmul")
    ap.add_argument("--tail-steps", type=int, default=0,
                    help="steps of a tail phase after the main one (0: none): fresh AdamW at --tail-lr "
                         "on --tail-n-train dialogues of seed+10 with --tail-shown-edit and "
                         "--tail-hard-edit (the main phase's last save is kept as TAG_main.pt)")
    ap.add_argument("--tail-lr", type=float, default=5e-4)
    ap.add_argument("--tail-warmup", type=int, default=50)
    ap.add_argument("--tail-n-train", type=int, default=20000)
    ap.add_argument("--tail-shown-edit", type=float, default=0.7)
    ap.add_argument("--tail-hard-edit", type=float, default=0.0, help="--hard-edit of the tail's dialogues")
    ap.add_argument("--positional-codes", action="store_true",
                    help="picture codes name their token place (vq.patch_table(positional=True)); "
                         "needs a VQ trained with train_vq.py --positional")
    args = ap.parse_args()
    if sum(x > 0 for x in (args.describe_edits, args.name_target, args.restate_edits)) > 1:
        ap.error("--describe-edits, --name-target and --restate-edits each change the edit replies; set one")
    if args.bf16 and not MOT.cpu_has_bf16():
        ap.error("--bf16: this CPU has no avx512_bf16 (/proc/cpuinfo); torch's bf16 matmul would run a "
                 "slow single-threaded fallback, many times slower than f32")
    if args.steps < 1 or args.tail_steps < 0:
        ap.error("--steps must be at least 1 and --tail-steps at least 0")
    if args.all_pairs:
        W.include_held_out()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.work, exist_ok=True)
    logf = open(os.path.join(args.work, args.tag + "_log.txt"), "w")

    def log(s):
        print(s, flush=True)
        logf.write(s + "\n")
        logf.flush()

    log("args: " + json.dumps(vars(args)))
    tok, merges, seqs, tseqs, vseqs, num_codes = build(args, log)
    img_lo = tok.image_id(0)
    img_hi = img_lo + num_codes
    cfg = MOT.config(len(tok.vocab), args.d, args.layers, args.heads, args.ff)
    # The order of a user turn's parts is part of the model: export.py writes
    # it to config.json and the runtime builds user turns in that order.
    cfg["chatumm_user_turn"] = "text_then_images" if args.text_first else "images_then_text"
    code_attrs = MOT.code_factors(args.positional_codes)
    factors = code_attrs if args.factors else None
    # A picture's object tokens are a few percent of its codes, and the only
    # ones that need the text: the background and the rest of an object follow
    # from the previous tokens. --object-weight counts codes that show part of
    # an object (foreground mask) that many times in the objective.
    # --change-weight does the same for the codes that differ from the
    # previous picture: in an edit, the places an object leaves or enters.
    weights = None
    if (args.object_weight, args.change_weight, args.text_weight) != (1.0, 1.0, 1.0):
        weights = (torch.where(code_attrs[:, 0] > 0, args.object_weight, 1.0), args.change_weight, args.text_weight)
    model = MOT.ChameleonMoT(cfg, (img_lo, img_hi), factors)
    if args.init:
        missing, unexpected = model.load_state_dict(torch.load(args.init)["state"], strict=False)
        if unexpected or any(not k.startswith(("fac_in.", "fac_out.")) for k in missing):
            raise SystemExit("--init %s: checkpoint does not fit: missing %s, unexpected %s" % (
                args.init, missing, unexpected))
    log("params: %.2fM" % (sum(p.numel() for p in model.parameters()) / 1e6))
    # The dataset is millions of long-lived Python objects; without a freeze
    # every full collection of the cyclic GC walks all of them during steps.
    gc.freeze()
    pad = tok.special("<pad>")
    brng = random.Random(args.seed + 7)
    t0 = time.time()

    def validate_and_save(step):
        model.eval()
        with torch.no_grad():
            vl = []
            for idx in batches(vseqs, args.budget, random.Random(0)):
                vl.append([x.item() for x in loss_fn(model, *collate(vseqs, idx, pad), img_lo, img_hi)])
        vm = [sum(v[j] for v in vl) / len(vl) for j in range(3)]
        log("val step %d t %.0f loss %.4f text %.4f image %.4f" % (step, time.time() - t0, *vm))
        ck = {"cfg": cfg, "merges": merges, "lowercase": args.lowercase, "state": model.state_dict(), "step": step,
              "export_state": model.folded_state_dict()}
        torch.save(ck, os.path.join(args.work, args.tag + ".pt"))

    def over_cap():
        return args.max_seconds > 0 and time.time() - t0 > args.max_seconds

    def phase(data, lr0, warm, steps, step):
        """AdamW from a fresh state over `data` for `steps` steps: linear
        warmup, then a cosine from lr0 to lr0/10 on steps done/steps. Stops
        early only past --max-seconds. -> (last step, whether it was cut)."""
        decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "norm" not in n]
        other = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "norm" not in n)]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": other, "weight_decay": 0.0}],
                                lr=lr0, betas=(0.9, 0.98))
        queue, n = [], 0
        while n < steps:
            n += 1
            step += 1
            cut = over_cap()
            last = n == steps or cut
            lr = lr0 * min(1.0, n / warm) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * n / steps)))
            for g in opt.param_groups:
                g["lr"] = lr
            if not queue:
                queue = batches(data, args.budget, brng)
            ids, mask, changed = collate(data, queue.pop(), pad)
            model.train()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
                loss, lt, li = loss_fn(model, ids, mask, changed, img_lo, img_hi, weights)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            if step % 25 == 0:
                log("step %d t %.0f lr %.2e loss %.4f text %.4f image %.4f" % (
                    step, time.time() - t0, lr, loss.item(), lt.item(), li.item()))
            if step % args.save_every == 0 or last:
                validate_and_save(step)
            if cut:
                log("stopped by --max-seconds %.0f at step %d of this phase's %d: the schedule was cut "
                    "short, so this is not the recipe's model; not exported" % (args.max_seconds, n, steps))
                return step, True
        return step, False

    step, cut = phase(seqs, args.lr, args.warmup, args.steps, 0)
    if cut:
        raise SystemExit(1)
    if args.tail_steps > 0:
        # The tail: the same model at a lower lr, fresh optimizer, on its own
        # dialogues with more edits of shown pictures (the hardest edits: the
        # object must be found in a picture no text describes).
        log("main phase done: %d steps in %.0fs; tail on %d dialogues" % (step, time.time() - t0, len(tseqs)))
        shutil.copyfile(os.path.join(args.work, args.tag + ".pt"), os.path.join(args.work, args.tag + "_main.pt"))
        step, cut = phase(tseqs, args.tail_lr, args.tail_warmup, args.tail_steps, step)
        if cut:
            raise SystemExit(1)
    log("done: %d steps in %.0fs" % (step, time.time() - t0))
    if args.out:
        vqck = check_vq(args.vq, 2000, args.seed + 99, log, args.positional_codes)
        export(torch.load(os.path.join(args.work, args.tag + ".pt")), vqck, args.out)


if __name__ == "__main__":
    main()
