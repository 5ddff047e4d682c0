"""Writes model/embedded/testdata/tokenizer_check.json: 200 strings and the ids this
trainer's BPE gives them, so a Go test can confirm the runtime's
tokenizer.json implementation encodes them identically.

  /usr/bin/python3 tools/train/tokenizer_check.py model/embedded/chatumm-tiny/tokenizer.json

Most strings are user prompts and replies of the world (what the model was
trained on); the rest are edge cases of the GPT-2 pre-tokenization (spaces,
newlines, digits, punctuation, upper case, accented letters, contractions).
"""
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "world"))
import bpe as BPE  # noqa: E402
import data as DATA  # noqa: E402
import dialogues as D  # noqa: E402

EDGE = [
    "", " ", "  ", "hello", " hello", "hello ", "hello  world", "hello\nworld", "line one\n\nline two\n",
    "draw a red circle.", "Draw A Red Circle!", "what's this? it's red, isn't it?", "i'll do it; you'd see",
    "they've we're i'm", "12 circles and 345 squares", "x=3+4", "tabs\tand\tspaces", "   leading spaces",
    "trailing spaces   ", "café crème", "naïve façade", "emoji 🙂 here", "hyphen-ated words_with_underscores",
    "(parens) [brackets] {braces}", "a.b.c", "...", "!?", "mixed123abc", "quote \"inside\"", "slash/path\\back",
    "DRAW A BIG WHITE SQUARE", "Make It Bigger", "ÉCOLE Ünïcode ÀÇ", "Now Grey, In The Centre?",
]


def main():
    path = sys.argv[1]
    tok = BPE.load_tokenizer(path)
    rng = random.Random(4242)
    texts = []
    while len(texts) < 200 - len(EDGE):
        for t in DATA.dialogue_texts(D.make_dialogue(rng)):
            if t not in texts and len(texts) < 200 - len(EDGE):
                texts.append(t)
    items = [{"text": t, "ids": tok.encode(t)} for t in EDGE + texts]
    for it in items:
        # With a Lowercase normalizer the ids spell the lower-cased text.
        if tok.decode(it["ids"]) != (it["text"].lower() if tok.lowercase else it["text"]):
            raise SystemExit("round trip failed for %r" % it["text"])
    out = os.path.join(HERE, "..", "..", "model", "embedded", "testdata", "tokenizer_check.json")
    with open(out, "w") as f:
        json.dump({"tokenizer": "model/embedded/chatumm-tiny/tokenizer.json",
                   "note": "ids without special tokens (the runtime encodes user text with addSpecial=false)",
                   "items": items}, f, ensure_ascii=False, indent=0)
    print("wrote %d strings to %s" % (len(items), out))


if __name__ == "__main__":
    main()
