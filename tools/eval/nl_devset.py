#!/usr/bin/env python3
"""The natural-language dev set: requests in the words people use (issue 27).

Written by hand, apart from the training templates in tools/world/dialogues.py
and never trained on: other verbs and politeness ("could you sketch", "I'd
like", "paint me"), attributes left out (a shape alone is a request), number
words and plurals, several objects at once, pronouns and ellipsis after a
picture ("make it bigger", "now blue"), British spellings, upper case,
missing punctuation and typos, small talk, honesty (no picture yet), and
requests outside the world. Each item says how its answer is judged (see
eval_nl.py), never one exact string: any picture that satisfies the request
passes.

    /usr/bin/python3 tools/eval/nl_devset.py [--out tools/eval/nl_devset.json]

Deterministic: the same file every run.
"""
import argparse
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "world"))
import world as W  # noqa: E402

# Spellings people use for the world's words (British ones, synonyms).
COLOR_WORDS = {"gray": ["grey", "gray"], "red": ["red"], "blue": ["blue"], "green": ["green"],
               "yellow": ["yellow"], "purple": ["purple"], "orange": ["orange"], "white": ["white"],
               "pink": ["pink"], "black": ["black"], "navy": ["navy"], "brown": ["brown"]}
POSITION_WORDS = {"center": ["in the centre", "in the middle", "in the center"],
                  "top left": ["in the top left corner", "top left", "at the top left"],
                  "top right": ["in the top right corner", "at the top right"],
                  "bottom left": ["in the bottom left corner", "bottom left"],
                  "bottom right": ["in the bottom right", "at the bottom right corner"],
                  "top middle": ["at the top", "at the top middle"],
                  "bottom middle": ["at the bottom", "along the bottom in the middle"],
                  "middle left": ["on the left", "at the left"],
                  "middle right": ["on the right", "at the right"]}
NUMBERS = {1: ["a", "one"], 2: ["two", "2"], 3: ["three", "3"]}

DRAW_FORMS = [
    "can you draw {x}?", "could you sketch {x} please", "i'd like {x}", "paint me {x}",
    "{x} please", "Create {x}.", "render {x}", "I want a picture with {x}",
    "please can you make {x}", "would you draw {x} for me?", "{X}", "draw {x}",
    "hey, draw {x}", "show {x}", "Drw {x}",  # the last one has a typo
]


def plural(shape, n):
    return shape if n == 1 else shape + "s"


def object_phrase(rng, o, keep, n=1):
    """A phrase for n objects like o, naming only the attributes in keep."""
    words = [rng.choice(NUMBERS[n])]
    if "size" in keep:
        words.append(o["size"] if rng.random() < 0.7 else {"big": "large", "small": "little"}[o["size"]])
    if "color" in keep:
        words.append(rng.choice(COLOR_WORDS[o["color"]]))
    words.append(plural(o["shape"], n))
    if "position" in keep:
        words.append(rng.choice(POSITION_WORDS[o["position"]]))
    phrase = " ".join(words)
    if phrase.startswith("a ") and words[1][0] in "aeiou":
        phrase = "an " + phrase[2:]
    return phrase


def draw_items(rng):
    items = []
    attribute_sets = [["shape"], ["shape", "color"], ["shape", "color", "size"], ["shape", "position"],
                      ["shape", "color", "position"], ["shape", "size"], ["shape", "color", "size", "position"]]
    for i in range(42):
        scene = W.random_scene(rng, n=1)
        o = scene.objs[0].to_json()
        keep = attribute_sets[i % len(attribute_sets)]
        x = object_phrase(rng, o, keep)
        want = {"objects": [{k: o[k] for k in keep}], "exact_count": True}
        if i % 3 == 0:
            bg = rng.choice(W.BG_NAMES)
            x += rng.choice([" on a %s background", " with a %s background", " against %s"]) % rng.choice(COLOR_WORDS[bg])
            want["background"] = bg
        form = DRAW_FORMS[i % len(DRAW_FORMS)]
        text = form.replace("{X}", x.upper()).replace("{x}", x)
        if i % 5 == 4:
            text = text.rstrip(".?")  # no punctuation
        items.append({"kind": "draw", "user": text, "want": want})
    # number words and plurals, several objects in one request (at most 3)
    for i in range(14):
        extra = i % 2 == 1
        n = 2 if extra else 2 + (i // 2) % 2
        shape, color = rng.choice(W.SHAPES), rng.choice(W.COLOR_NAMES)
        x = "%s %s %s" % (rng.choice(NUMBERS[n]), rng.choice(COLOR_WORDS[color]), plural(shape, n))
        want = {"objects": [{"shape": shape, "color": color}] * n, "exact_count": True}
        if extra:
            s2, c2 = rng.choice(W.SHAPES), rng.choice(W.COLOR_NAMES)
            x += " and %s %s %s" % ("an" if c2[0] in "aeiou" else "a", rng.choice(COLOR_WORDS[c2]), s2)
            want["objects"] = want["objects"] + [{"shape": s2, "color": c2}]
        text = rng.choice(["draw %s", "could you paint %s?", "i would like %s please", "sketch %s."]) % x
        items.append({"kind": "draw", "user": text, "want": want})
    return items


def follow_up_items(rng):
    """A picture is in the chat (drawn by the model), then a follow-up in
    everyday words: pronouns and ellipsis."""
    items = []
    edits = [
        ("make it bigger", lambda o: dict(o, size="big"), lambda o: o["size"] == "small"),
        ("make it smaller please", lambda o: dict(o, size="small"), lambda o: o["size"] == "big"),
        ("now make it {c}", None, None),
        ("now {c}", None, None),
        ("colour it {c}", None, None),
        ("can you turn it {c}?", None, None),
        ("move it to the {p}", "move", None),
        ("put it {pw}", "move", None),
    ]
    for i in range(24):
        form, fn, cond = edits[i % len(edits)]
        while True:
            scene = W.random_scene(rng, n=1)
            o = scene.objs[0].to_json()
            if cond is None or cond(o):
                break
        if fn is None:  # recolour
            c = rng.choice([c for c in W.COLOR_NAMES if c != o["color"]])
            text = form.format(c=rng.choice(COLOR_WORDS[c]))
            new = dict(o, color=c)
        elif fn == "move":
            p = rng.choice([p for p in W.POSITIONS if p != o["position"]])
            text = form.format(p=p, pw=POSITION_WORDS[p][0])
            new = dict(o, position=p)
        else:
            text, new = form, fn(o)
        if i % 4 == 3:
            text = text.upper()
        after = {"background": scene.bg, "objects": [new]}
        items.append({"kind": "edit", "history": [
            {"user": "draw " + scene.objs[0].phrase() + " on a %s background." % scene.bg, "picture": scene.to_json()}],
            "user": text, "want_scene": after})
    questions = [
        ("what colour is it?", "color"), ("what color is it", "color"), ("what shape is that?", "shape"),
        ("is it big or small?", "size"), ("where is it?", "position"), ("what's the background colour?", "background"),
    ]
    for i in range(18):
        scene = W.random_scene(rng, n=1)
        o = scene.objs[0].to_json()
        q, attr = questions[i % len(questions)]
        answer = scene.bg if attr == "background" else o[attr]
        words = COLOR_WORDS.get(answer, [answer])
        if attr == "position":
            words = [answer] + ([w.replace("centre", "center") for w in POSITION_WORDS[answer]] if answer == "center" else [])
        items.append({"kind": "answer", "history": [
            {"user": "draw " + scene.objs[0].phrase() + " on a %s background." % scene.bg, "picture": scene.to_json()}],
            "user": q, "want_words": words})
    return items


def talk_items():
    helpful = ["draw"]  # a helpful answer names what it can do
    items = [{"kind": "talk", "user": u, "want_words": helpful} for u in [
        "Hello!", "hi", "hey there", "what can you do?", "help", "who are you?", "What are you able to draw?",
        "how does this work", "good morning", "can you help me?"]]
    items += [{"kind": "polite", "user": u} for u in ["thanks!", "thank you", "great, thanks", "cool"]]
    items += [{"kind": "honest", "user": u, "want_words": ["no picture", "no image", "not seen", "nothing to describe",
                                                          "there is none", "haven't", "have not", "no pictures"]}
              for u in ["describe the picture.", "what is in the image?", "what colour is the circle?",
                        "make it bigger", "what did i show you?", "Describe the image please"]]
    items += [{"kind": "outside", "user": u} for u in [
        "draw a horse", "write me a poem about the sea", "what is the capital of France?", "draw a star",
        "paint a cat please", "tell me a joke", "draw a hexagon", "can you draw a car?"]]
    return items


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "nl_devset.json"))
    args = ap.parse_args()
    rng = random.Random(2027)
    items = draw_items(rng) + follow_up_items(rng) + talk_items()
    with open(args.out, "w") as f:
        json.dump({"about": "natural-language dev set, see nl_devset.py; judged by eval_nl.py", "items": items}, f, indent=1)
    print("%s: %d items" % (args.out, len(items)))


if __name__ == "__main__":
    main()
