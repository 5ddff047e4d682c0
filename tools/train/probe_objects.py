"""Where a checkpoint's picture loss is: per-token loss and greedy accuracy on
"draw ..." turns (fresh scenes, teacher-forced), split into background codes
and the four codes of each object's cell (obj0 is the cell's top-left code, the
first one that has to come from the text; obj1-3 follow from it), by number of
objects in the scene, and which attribute of obj0 (mask, colour, background;
mot.code_factors) the greedy choice gets right.

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp \
    /usr/bin/python3 tools/train/probe_objects.py /tmp/chatumm-train/mot.pt [--n 80]
"""
import argparse
import os
import random
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "world"))
import dialogues as D  # noqa: E402
import data as DATA  # noqa: E402
import mot as MOT  # noqa: E402
import world as W  # noqa: E402
import vq as VQ  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("--n", type=int, default=80)
    ap.add_argument("--seed", type=int, default=777)
    a = ap.parse_args()
    torch.set_num_threads(1)
    m, tok, positional = MOT.load_checkpoint(a.ckpt)
    codes = DATA.TableCodes(positional)
    num_codes = len(codes.table)
    lo, hi = tok.image_id(0), tok.image_id(0) + num_codes
    fac = MOT.code_factors(positional)
    side = W.SIZE // VQ.PATCH
    per_cell = W.CELL // VQ.PATCH
    rng = random.Random(a.seed)
    stats = {}

    def add(k, loss, ok):
        s = stats.setdefault(k, [0.0, 0, 0])
        s[0] += loss
        s[1] += 1
        s[2] += ok

    for _ in range(a.n):
        s = W.random_scene(rng)
        d = [D.user(("text", D.gen_prompt(s, rng))), D.model(("image", s))]
        ids = DATA.tokenize(d, tok, codes)[0]
        x = torch.tensor([ids])
        with torch.no_grad():
            logits = m(x[:, :-1])[0]
        tgt = x[0, 1:]
        ce = F.cross_entropy(logits, tgt, reduction="none")
        pred = logits.argmax(-1)
        start = ids.index(tok.special("<racm3:break>"))
        occupied = {o.pos for o in s.objs}
        for j in range(side * side):
            p = start + j  # logits index predicting ids[start + 1 + j]
            r, c = divmod(j, side)
            cell = (r // per_cell) * W.GRID + c // per_cell
            sub = (r % per_cell) * per_cell + c % per_cell
            kind = "obj%d n=%d" % (sub, len(s.objs)) if cell in occupied else "background"
            ok = int(pred[p] == tgt[p])
            add(kind, ce[p].item(), ok)
            if cell in occupied and sub == 0:
                pc, tc = int(pred[p]) - lo, int(tgt[p]) - lo
                for k, name in enumerate(("mask", "colour", "background")):
                    add("obj0 " + name, 0.0, int(0 <= pc < num_codes and fac[pc, k] == fac[tc, k]))
    print("%s, %d scenes" % (a.ckpt, a.n))
    for k, (tot, n, ok) in sorted(stats.items()):
        print("  %-18s n=%5d  loss %.3f  greedy accuracy %.3f" % (k, n, tot / n, ok / n))


if __name__ == "__main__":
    main()
