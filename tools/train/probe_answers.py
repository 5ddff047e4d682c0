"""Teacher-forced answers of a transformer checkpoint to questions about a
picture the user shows, by question kind, object count and answer; with
--kinds edit, edits of a shown picture by edit kind and object count.

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp \
    /usr/bin/python3 tools/train/probe_answers.py /tmp/chatumm-train/s7.pt [--n 90]

Each dialogue is one user turn (picture, question or instruction) and the
model's reply, exactly as train.py tokenizes it; a reply counts as right when
the argmax at every token of it is its token. Unlike the binary probes
(tools/eval/probe_questions.py) this needs no export, and because no text of
the dialogue describes the picture it tells whether the model reads the
picture or only the words around it (README, "Questions need pictures no
text describes"). With --describe-edits (--name-target, --restate-edits) an edit reply counts
as right only when both its description (the object it names) and its
picture are.
"""
import argparse
import collections
import os
import random
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "world"))
import data as DATA  # noqa: E402
import dialogues as D  # noqa: E402
import mot as MOT  # noqa: E402
import world as W  # noqa: E402

KINDS = ["exists", "position", "color", "shape", "count", "size"]
EDIT_KINDS = ["recolor", "move", "resize", "add", "remove", "background"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("--n", type=int, default=90, help="dialogues per kind, a third each with 1, 2 and 3 objects")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--kinds", default=",".join(KINDS), help="question kinds, or edit")
    ap.add_argument("--describe-edits", action="store_true",
                    help="edit replies say what the new picture shows, then draw it (train.py --describe-edits)")
    ap.add_argument("--restate-edits", action="store_true",
                    help="edit replies describe the picture before and after, then draw (train.py --restate-edits)")
    ap.add_argument("--name-target", action="store_true",
                    help="edit replies name the object the edit acts on, then draw (train.py --name-target)")
    a = ap.parse_args()
    torch.set_num_threads(1)
    m, tok, positional = MOT.load_checkpoint(a.ckpt)
    codes = DATA.TableCodes(positional)
    rng = random.Random(a.seed)
    tab = collections.Counter()
    for kind in a.kinds.split(","):
        for i in range(a.n):
            s = W.random_scene(rng)
            while len(s.objs) != 1 + i % 3:
                s = W.random_scene(rng)
            if kind == "edit":
                new, q, ek = D.random_edit(s, rng, kind=EDIT_KINDS[(i // 3) % len(EDIT_KINDS)])
                reply = ([("text", new.describe())] if a.describe_edits else
                         [("text", D.edit_target(s, new))] if a.name_target else
                         [("text", D.restatement(s, new))] if a.restate_edits else [])
                d, ans = [D.user(("image", s), ("text", q)), D.model(*reply, ("image", new))], ek
            else:
                q, ans, _ = D.random_question(s, rng, kind)
                d = [D.user(("image", s), ("text", q)), D.model(("text", ans))]
            ids, mask, _ = DATA.tokenize(d, tok, codes)
            with torch.no_grad():
                pred = m(torch.tensor([ids]))[0].argmax(-1)
            ok = all(pred[j - 1].item() == ids[j] for j in range(len(ids)) if mask[j])
            key = (kind, len(s.objs), ans if ans in ("yes.", "no.", "nothing.") + tuple(EDIT_KINDS) else "other")
            tab[key + (ok,)] += 1
    print("kind      objects  answer     right / asked")
    for key in sorted({k[:3] for k in tab}):
        good, bad = tab[key + (True,)], tab[key + (False,)]
        print("%-9s %7d  %-10s %5d / %d" % (key[0], key[1], key[2], good, good + bad))
    total = sum(v for k, v in tab.items() if k[3])
    print("all: %d / %d" % (total, sum(tab.values())))


if __name__ == "__main__":
    main()
