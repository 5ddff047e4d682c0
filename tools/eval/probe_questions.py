#!/usr/bin/env python3
"""Asks the chatumm binary one kind of question about fresh pictures and
tabulates its answers by the number of objects and the true answer, to tell a
skill from a prior: a model that answers "is there a red circle?" from the
object count alone says "no." to every one-object picture and "yes." to most
three-object ones, whatever they show.

    /usr/bin/python3 tools/eval/probe_questions.py --binary ./chatumm \
        [--model DIR] [--kind exists|position|color] [--n 60] [--seed 5]

Needs numpy and PIL (Debian's python3), not torch.
"""
import argparse
import collections
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "world"))
import dialogues as D  # noqa: E402
import world as W  # noqa: E402


def questions(scene, kind, rng):
    """-> [(question, answer)] about scene: for exists one true and one false
    pair, otherwise one question of random_question's kind."""
    if kind != "exists":
        q, a, _ = D.random_question(scene, rng, kind)
        return [(q, a)]
    o = rng.choice(scene.objs)
    out = [("is there a %s %s?" % (o.color, o.shape), "yes.")]
    while True:
        s, c = rng.choice(W.SHAPES), rng.choice(W.COLOR_NAMES)
        if not any(p.shape == s and p.color == c for p in scene.objs):
            return out + [("is there a %s %s?" % (c, s), "no.")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="./chatumm")
    ap.add_argument("--model", default="")
    ap.add_argument("--kind", default="exists", choices=["exists", "position", "color", "shape", "count", "size"])
    ap.add_argument("--n", type=int, default=60, help="pictures, a third each with 1, 2 and 3 objects")
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    table = collections.Counter()
    with tempfile.TemporaryDirectory() as tmp:
        png = os.path.join(tmp, "scene.png")
        for i in range(args.n):
            scene = W.random_scene(rng)
            while len(scene.objs) != 1 + i % 3:
                scene = W.random_scene(rng)
            W.save_png(W.render(scene), png)
            for q, want in questions(scene, args.kind, rng):
                cmd = [args.binary, "describe", "--image", png, q] + (["--model", args.model] if args.model else [])
                res = subprocess.run(cmd, capture_output=True, text=True)
                if res.returncode != 0:
                    raise SystemExit("%s: %s" % (" ".join(cmd), res.stderr.strip()))
                got = res.stdout.strip().split("\n")[-1].strip()
                table[(len(scene.objs), want if args.kind == "exists" else "-", got == want)] += 1
    print("objects  truth  right / asked")
    for n in (1, 2, 3):
        for want in sorted({k[1] for k in table}):
            good, bad = table[(n, want, True)], table[(n, want, False)]
            if good + bad:
                print("%7d  %5s  %5d / %d" % (n, want, good, good + bad))


if __name__ == "__main__":
    main()
