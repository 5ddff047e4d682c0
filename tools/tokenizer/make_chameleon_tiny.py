#!/usr/bin/env python3
"""Write a small Chameleon-style tokenizer.json for tests (standard library only).

The layout mirrors the real Chameleon vocabulary (model-families.md §A.5) at toy
scale: <s> <pad> </s> <unk>, then 64 image tokens IMGIMG<letters>Z whose codes
are deliberately shuffled in id space (so code->id must come from the names),
then <eoss> <racm3:break> <reserved08706>, the 256 byte-level tokens, and
byte-level BPE merges learned from the English text below.

Usage: python3 make_chameleon_tiny.py OUT/tokenizer.json
"""
import json
import random
import re
import sys

NUM_IMAGE_CODES = 64
NUM_MERGES = 400

TRAINING_TEXT = """
The quick brown fox jumps over the lazy dog. A model that reads text and images
in one stream of tokens can answer questions about a picture, describe what it
sees, and draw new pictures when it is asked. Each image is cut into small
patches, and every patch becomes one code from a learned codebook. The words of
the conversation and the codes of the image are then placed side by side, so the
same transformer predicts the next token whether it is a word or a piece of an
image. This is the idea behind the mixed-modal models that were trained on large
collections of documents where pictures and paragraphs appear together.
When you write a program that runs such a model on an ordinary computer, you
have to care about memory, about the speed of matrix multiplication, and about
getting every small detail of the tokenizer exactly right, because a single
wrong token changes everything that follows. It is the kind of work where tests
matter more than opinions: you compare your numbers with the reference, line by
line, until they agree. There are many things that can go wrong, and they will.
We don't know, they're sure, it's fine, you've seen it, I'll try, she'd say.
"""

BYTE_TOKENS_PATTERN = re.compile(r" ?[A-Za-z]+| ?[0-9]| ?[^\sA-Za-z0-9]+|\s+")


def bytes_to_unicode():
    """The GPT-2 byte -> printable character table used by ByteLevel."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def image_token_name(code):
    return "IMGIMG" + "".join("ABCDEFGHIJ"[int(d)] for d in str(code)) + "Z"


def learn_merges(text, byte_char, count):
    words = {}
    for piece in BYTE_TOKENS_PATTERN.findall(text):
        symbols = tuple(byte_char[b] for b in piece.encode("utf-8"))
        words[symbols] = words.get(symbols, 0) + 1
    merges = []
    for _ in range(count):
        pairs = {}
        for word, freq in words.items():
            for a, b in zip(word, word[1:]):
                pairs[(a, b)] = pairs.get((a, b), 0) + freq
        if not pairs:
            break
        # Highest frequency, ties broken by the pair itself so the output is stable.
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        merged = {}
        for word, freq in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + freq
        words = merged
    return merges


def main():
    out_path = sys.argv[1]
    byte_char = bytes_to_unicode()
    vocab = {}
    added = []

    def add(name, special):
        vocab[name] = len(vocab)
        if special:
            added.append({"id": vocab[name], "content": name, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True})

    for name in ["<s>", "<pad>", "</s>", "<unk>"]:
        add(name, True)
    codes = list(range(NUM_IMAGE_CODES))
    random.Random(1234).shuffle(codes)
    for code in codes:
        add(image_token_name(code), False)
    for name in ["<eoss>", "<racm3:break>", "<reserved08706>"]:
        add(name, True)
    for b in range(256):
        add(byte_char[b], False)
    merges = learn_merges(TRAINING_TEXT, byte_char, NUM_MERGES)
    for a, b in merges:
        if a + b not in vocab:
            add(a + b, False)

    def split(regex):
        return {"type": "Split", "pattern": {"Regex": regex}, "behavior": "Isolated", "invert": False}

    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            split("<sentinel:[0-9]+>"),
            split("(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z"),
            split("([\t\n]|    |  )"),
            split("\\p{N}"),
            split("[\\p{P}!-/:-@\\[-`{-~]"),
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        ]},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]}},
        },
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
            "vocab": vocab,
            "merges": [a + " " + b for a, b in merges],
        },
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{out_path}: {len(vocab)} tokens, {len(merges)} merges")


if __name__ == "__main__":
    main()
