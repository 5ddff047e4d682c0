#!/usr/bin/env python3
"""Scores the chatumm binary on the natural-language dev set (nl_devset.json).

Each item is one `chatumm run --script`: its history (a request and the
picture the model drew for it, given as the model's turn) and then the
user's words; the reply is judged by what it must contain, not by one exact
string:
  draw     a picture whose objects are the ones asked for (count, and every
           attribute the request named; the rest is the model's choice) and
           the background if one was named
  edit     a picture of exactly the scene the follow-up asks for
  answer   words naming the asked attribute, no picture
  talk     a helpful answer: it says what the model can draw, no picture
  polite   a short answer that is no refusal and no picture
  honest   it says there is no picture yet, and draws none
  outside  no picture (a refusal or a question back)

    /usr/bin/python3 tools/eval/eval_nl.py --binary ./chatumm [--model DIR] \
        [--json out.json] [--failures misses.json]

Needs numpy and PIL (Debian's python3), not torch.
"""
import argparse
import collections
import itertools
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "world"))
import world as W  # noqa: E402


def script_for(item, tmp, k):
    turns = []
    for j, h in enumerate(item.get("history", [])):
        path = os.path.join(tmp, "hist-%d-%d.png" % (k, j))
        W.save_png(W.render(W.Scene.from_json(h["picture"])), path)
        turns.append({"user": h["user"], "model": [{"image": path}]})
    turns.append({"user": item["user"]})
    return {"seed": 1, "turns": turns}


def objects_match(want, got):
    """Every wanted object matched by a distinct drawn one (all named attributes equal)."""
    if len(got) < len(want):
        return False
    for perm in itertools.permutations(got, len(want)):
        if all(all(g[a] == v for a, v in w.items()) for w, g in zip(want, perm)):
            return True
    return False


def judge(item, turn):
    text = " ".join(turn.get("reply", "").lower().split())
    pics = [W.parse(W.load_png(p)) for p in turn.get("reply_images", []) if p]
    kind = item["kind"]
    if kind == "draw":
        if not pics:
            return False
        got = pics[0].to_json()
        want = item["want"]
        if want.get("exact_count") and len(got["objects"]) != len(want["objects"]):
            return False
        if "background" in want and got["background"] != want["background"]:
            return False
        return objects_match(want["objects"], got["objects"])
    if kind == "edit":
        return bool(pics) and pics[0] == W.Scene.from_json(item["want_scene"])
    if pics:
        return False
    if kind in ("answer", "talk", "honest"):
        return any(w in text for w in item["want_words"])
    if kind == "polite":
        return text != "" and "sorry" not in text
    if kind == "outside":
        return True
    raise SystemExit("eval_nl: unknown item kind %r" % kind)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="./chatumm")
    ap.add_argument("--model", default="", help="model directory (default: the embedded model)")
    ap.add_argument("--devset", default=os.path.join(HERE, "nl_devset.json"))
    ap.add_argument("--json", default="")
    ap.add_argument("--failures", default="", help="write each miss (item and reply) to this JSON file")
    args = ap.parse_args()
    items = json.load(open(args.devset))["items"]
    score = collections.defaultdict(lambda: [0, 0])
    misses = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, item in enumerate(items):
            sp, out = os.path.join(tmp, "s.json"), os.path.join(tmp, "t.json")
            json.dump(script_for(item, tmp, k), open(sp, "w"))
            cmd = [args.binary, "run", "--script", sp, "-o", out, "--image-dir", tmp, "--max-tokens", "96"]
            if args.model:
                cmd += ["--model", args.model]
            res = subprocess.run(cmd, capture_output=True, text=True)
            last = json.load(open(out))["turns"][-1] if res.returncode == 0 else {"error": res.stderr.strip()}
            ok = res.returncode == 0 and judge(item, last)
            score[item["kind"]][0] += ok
            score[item["kind"]][1] += 1
            if not ok:
                misses.append({"item": item, "reply": last.get("reply", ""), "error": last.get("error", ""),
                               "parsed": [W.parse(W.load_png(p)).to_json() for p in last.get("reply_images", []) if p]})
            for f in os.listdir(tmp):
                if f.startswith("chatumm-"):
                    os.remove(os.path.join(tmp, f))
    rows, good, n = [], 0, 0
    for kind, (g, c) in sorted(score.items()):
        rows.append({"category": "nl-" + kind, "correct": g, "n": c, "accuracy": g / c})
        print("nl-%-15s %5.1f%%  (%d/%d)" % (kind, 100 * g / c, g, c))
        good, n = good + g, n + c
    print("nl-all              %5.1f%%  (%d/%d)" % (100 * good / n, good, n))
    rows.append({"category": "nl-all", "correct": good, "n": n, "accuracy": good / n})
    if args.json:
        json.dump(rows, open(args.json, "w"), indent=1)
    if args.failures:
        json.dump(misses, open(args.failures, "w"), indent=1)


if __name__ == "__main__":
    main()
