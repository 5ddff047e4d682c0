"""Evaluates an exported chatumm-tiny on tools/eval/testset.json in PyTorch.

  /usr/bin/python3 tools/eval/run_eval.py --model model/embedded/chatumm-tiny \
      [--history reference|free] [--limit N] [--json out.json]

History "reference" (default) feeds the reference replies as earlier model
turns, so each judged turn measures one skill; "free" lets the model write
every earlier turn itself, as `chatumm run --script` does. Only the last model
turn of each dialogue is judged: pictures are decoded by the VQ-GAN and read
back by the world's scene parser (exact scene match); text is compared after
trimming and lowercasing (exact match).
"""
import argparse
import collections
import json
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from runner import Runner  # noqa: E402
import world as W  # noqa: E402


def norm_text(s):
    return " ".join(s.strip().lower().split())


def reference_ids(r, turn, cache_img):
    """Tokens of a reference model turn (text pieces and rendered scenes)."""
    ids = []
    exp = turn["expect"]
    texts, scenes = list(exp.get("text", [])), list(exp.get("scenes", []))
    # Reference turns are text-only, image-only, or text, image, text.
    if texts and scenes:
        seq = [("text", texts[0]), ("image", scenes[0])] + [("text", t) for t in texts[1:]]
    else:
        seq = [("text", t) for t in texts] + [("image", s) for s in scenes]
    for k, v in seq:
        if k == "text":
            ids += r.tok.encode(v)
        else:
            codes = cache_img(W.render(W.Scene.from_json(v)))
            ids += [r.tok.special("<racm3:break>")] + [r.tok.image_id(c) for c in codes] + [r.tok.special("<eoss>")]
    return ids + [r.tok.special("<reserved08706>")]


def judge(r, parts, exp):
    got_text = norm_text(" ".join(v for k, v in parts if k == "text"))
    got_scenes = [W.parse(r.decode_codes(v)) for k, v in parts if k == "image"]
    ok = True
    if "text" in exp:
        ok &= got_text == norm_text(" ".join(exp["text"]))
    if "scenes" in exp:
        want = [W.Scene.from_json(s) for s in exp["scenes"]]
        ok &= got_scenes == want
    elif got_scenes:
        ok = False
    return ok, got_text, [s.describe() for s in got_scenes]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--testset", default=os.path.join(HERE, "testset.json"))
    ap.add_argument("--history", default="reference", choices=["reference", "free"])
    ap.add_argument("--limit", type=int, default=0, help="dialogues per (category, depth); 0 = all")
    ap.add_argument("--json", default=None, help="write per-dialogue results here")
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    r = Runner(a.model)
    with open(a.testset) as f:
        ts = json.load(f)
    base = os.path.dirname(os.path.abspath(a.testset))
    img_cache = {}
    encode = r.encode_image

    def codes_of(rgb):  # the VQ encoder, cached per picture
        key = rgb.tobytes()
        if key not in img_cache:
            img_cache[key] = encode(rgb)
        return img_cache[key]

    r.encode_image = codes_of

    def load(path):
        return W.load_png(os.path.join(base, path))

    counts = collections.Counter()
    results = []
    t0 = time.time()
    for d in ts["dialogues"]:
        key = (d["category"], d["depth"])
        if a.limit and counts[key] >= a.limit:
            continue
        counts[key] += 1
        cache = r.new_cache()
        pending = [r.tok.special("<s>")]
        turns = d["turns"]
        last_model = max(i for i, t in enumerate(turns) if t["role"] == "model")
        for i, t in enumerate(turns):
            if t["role"] == "user":
                pending += r.user_ids(t["text"], [load(p) for p in t["images"]])
                continue
            if i == last_model or a.history == "free":
                parts, pending = r.reply(cache, pending)
                if i == last_model:
                    ok, txt, scenes = judge(r, parts, t["expect"])
                    results.append({"category": d["category"], "depth": d["depth"], "ok": bool(ok),
                                    "got_text": txt, "got_scenes": scenes, "expect": t["expect"]})
            else:
                pending += reference_ids(r, t, codes_of)
    by = collections.defaultdict(list)
    for x in results:
        name = x["category"] if x["category"] != "context" else "context k=%d" % x["depth"]
        by[name].append(x["ok"])
    print("model %s, history %s, %d dialogues, %.0fs" % (a.model, a.history, len(results), time.time() - t0))
    for name in sorted(by):
        v = by[name]
        print("  %-22s %5.1f%%  (%d/%d)" % (name, 100.0 * sum(v) / len(v), sum(v), len(v)))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"summary": {k: sum(v) / len(v) for k, v in by.items()}, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
