"""Writes tools/eval/testset.json and the PNGs it points to (tools/eval/images/).

  /usr/bin/python3 tools/eval/make_testset.py --seed 12345

Test dialogues come from a seed disjoint from training (train uses seeds near 1).
Each dialogue is a list of turns; user turns hold "text" and "images" (paths
relative to tools/eval/); model turns hold "expect" (the reference reply:
"text" and/or "scene"). Only the last model turn of a dialogue is judged; the
earlier model turns are for a runner that replays the reference history, and a
free-running runner (the Go binary) may ignore them. Categories:
  generate     description -> picture (exact scene)
  caption      picture -> canonical description (exact text)
  question     picture + question -> short answer (exact text)
  edit         picture + instruction -> edited picture (exact scene)
  interleaved  reply text, picture, text
  context      history query after `depth` distractor turns (0..4)
  heldout_*    generate / edit / caption with shape-colour pairs never seen in training
"""
import argparse
import json
import os
import random
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "world"))
import dialogues as D  # noqa: E402
import world as W  # noqa: E402


def has_held_out(d):
    for t in d:
        for k, v in t["parts"]:
            if k == "image" and any((o.shape, o.color) in W.HELD_OUT for o in v.objs):
                return True
    return False


def export_dialogue(d, category, depth, img_dir, saved):
    turns = []
    for t in d:
        if t["role"] == "user":
            paths = []
            for k, v in t["parts"]:
                if k == "image":
                    name = "img_%08x.png" % zlib.crc32(repr(v.key()).encode())
                    if name not in saved:
                        W.save_png(W.render(v), os.path.join(img_dir, name))
                        saved.add(name)
                    paths.append("images/" + name)
            text = " ".join(v for k, v in t["parts"] if k == "text")
            turns.append({"role": "user", "text": text, "images": paths})
        else:
            exp = {}
            texts = [v for k, v in t["parts"] if k == "text"]
            scenes = [v.to_json() for k, v in t["parts"] if k == "image"]
            if texts:
                exp["text"] = texts
            if scenes:
                exp["scenes"] = scenes
            turns.append({"role": "model", "expect": exp})
    return {"category": category, "depth": depth, "turns": turns}


def single(rng, category, held_out):
    """A one-exchange dialogue of the given category."""
    while True:
        st = D.State()
        s = W.random_scene(rng, held_out_ok=held_out)
        if held_out and not any((o.shape, o.color) in W.HELD_OUT for o in s.objs):
            continue
        st.images.append(s)
        if category == "generate":
            return [D.user(("text", D.gen_prompt(s, rng))), D.model(("image", s))]
        if category == "caption":
            return [D.user(("image", s), ("text", rng.choice(D.CAPTION_PROMPTS))), D.model(("text", s.describe()))]
        if category == "question":
            q, a, _ = D.random_question(s, rng)
            return [D.user(("image", s), ("text", q)), D.model(("text", a))]
        if category == "edit":
            return D.edit_turn(st, rng, held_out, False, with_image=True)
        if category == "interleaved":
            p = D.gen_prompt(s, rng)[:-1].rstrip("?") + " and describe it."
            return [D.user(("text", p)), D.model(("text", "here it is."), ("image", s), ("text", s.describe()))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--n", type=int, default=100, help="dialogues per category (context: per depth)")
    ap.add_argument("--out", default=os.path.join(HERE, "testset.json"))
    a = ap.parse_args()
    rng = random.Random(a.seed)
    img_dir = os.path.join(os.path.dirname(a.out), "images")
    os.makedirs(img_dir, exist_ok=True)
    saved = set()
    out = []
    for cat in ["generate", "caption", "question", "edit", "interleaved"]:
        n = a.n if cat != "interleaved" else a.n // 2
        for _ in range(n):
            while True:
                d = single(rng, cat, False)
                if not has_held_out(d):
                    break
            out.append(export_dialogue(d, cat, 0, img_dir, saved))
    for cat in ["generate", "edit", "caption"]:
        for _ in range(a.n // 2):
            out.append(export_dialogue(single(rng, cat, True), "heldout_" + cat, 0, img_dir, saved))
    for depth in range(5):
        for _ in range(a.n):
            while True:
                d = D.context_dialogue(rng, depth)
                if not has_held_out(d):
                    break
            out.append(export_dialogue(d, "context", depth, img_dir, saved))
    with open(a.out, "w") as f:
        json.dump({"about": __doc__.strip().splitlines()[0], "seed": a.seed, "image_size": W.SIZE,
                   "dialogues": out}, f, separators=(",", ":"))
    print("wrote %d dialogues, %d pictures to %s" % (len(out), len(saved), a.out))


if __name__ == "__main__":
    main()
