"""Turns world dialogues into token ids in the chat protocol of the spec.

  <s> USER-TURN <reserved08706> MODEL-TURN <reserved08706> ...

A user turn is its images (each <racm3:break> codes <eoss>) then its text, or
with text_first its text then its images, as the runtime builds it
(model/chat: UserTokens, which follows config.json "chatumm_user_turn"). A
model turn is its parts in order, text encoded piece by piece, ending with
<reserved08706>. The loss mask covers model-turn tokens (including the
closing <reserved08706>).
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "world"))
import world as W  # noqa: E402
import vq as VQ  # noqa: E402


def dialogue_texts(d):
    return [p[1] for t in d for p in t["parts"] if p[0] == "text"]


def dialogue_scenes(d):
    return [p[1] for t in d for p in t["parts"] if p[0] == "image"]


class SceneCodes:
    """Scene -> VQ codes through the trained encoder (as the runtime would
    encode the rendered PNG), cached."""

    def __init__(self, vqmodel):
        self.vq = vqmodel
        self.cache = {}

    def fill(self, scenes, batch=512):
        todo = list({s.key(): s for s in scenes if s.key() not in self.cache}.values())
        for i in range(0, len(todo), batch):
            chunk = todo[i:i + batch]
            x = VQ.to_input(np.stack([W.render(s) for s in chunk]))
            with torch.no_grad():
                codes = self.vq.encode(x).numpy()
            for s, c in zip(chunk, codes):
                self.cache[s.key()] = [int(v) for v in c]

    def __call__(self, scene):
        if scene.key() not in self.cache:
            self.fill([scene])
        return self.cache[scene.key()]


class TableCodes(SceneCodes):
    """Scene -> codes straight from the patch table (vq.patch_table). The VQ
    encoder is trained to produce exactly these codes; train.py checks the
    agreement on fresh scenes, so the transformer may be trained before the
    tokenizer has finished training."""

    def __init__(self, positional=False):
        super().__init__(None)
        self.table = VQ.patch_table(positional)

    def fill(self, scenes, batch=512):
        for s in scenes:
            if s.key() not in self.cache:
                self.cache[s.key()] = [int(v) for v in VQ.patch_codes(W.render(s), self.table)]


def image_block(bpe, codes):
    return [bpe.special("<racm3:break>")] + [bpe.image_id(c) for c in codes] + [bpe.special("<eoss>")]


def user_turn_ids(bpe, codes_of, turn, text_first=False):
    """A user turn: its images then its text, or with text_first its text
    then its images (the order the model's config.json names in
    "chatumm_user_turn", which the runtime follows)."""
    img, txt = [], []
    for kind, v in turn["parts"]:
        if kind == "image":
            img += image_block(bpe, codes_of(v))
        else:
            txt += bpe.encode(v)
    return (txt + img if text_first else img + txt) + [bpe.special("<reserved08706>")]


def model_turn_ids(bpe, codes_of, turn):
    ids = []
    for kind, v in turn["parts"]:
        ids += image_block(bpe, codes_of(v)) if kind == "image" else bpe.encode(v)
    return ids + [bpe.special("<reserved08706>")]


def changed_codes(d, codes_of):
    """For each picture of the dialogue in token order, one flag per code: 1
    where it differs from the code at the same place in the earlier picture
    it is closest to, if that one shares at least half of its codes (an edit
    of it); all 0 otherwise. In an edit these are the tokens the instruction
    decides (where an object was removed or moved, and where it went);
    everything else can be copied from the context."""
    flags, earlier = [], []
    for t in d:
        for v in (v for k, v in t["parts"] if k == "image"):
            c = codes_of(v)
            diffs = [[int(a != b) for a, b in zip(c, e)] for e in earlier]
            best = min(diffs, key=sum, default=None)
            flags.append(best if best is not None and 2 * sum(best) <= len(c) else [0] * len(c))
            earlier.append(c)
    return flags


def tokenize(d, bpe, codes_of, text_first=False):
    """-> (ids, loss mask, changed) with ids[0] = <s>; changed marks the picture
    codes that differ from the previous picture's (changed_codes)."""
    ids, mask = [bpe.special("<s>")], [0]
    for t in d:
        if t["role"] == "user":
            part = user_turn_ids(bpe, codes_of, t, text_first)
            ids += part
            mask += [0] * len(part)
        else:
            part = model_turn_ids(bpe, codes_of, t)
            ids += part
            mask += [1] * len(part)
    changed, flags = [0] * len(ids), iter(changed_codes(d, codes_of))
    brk = bpe.special("<racm3:break>")
    for i, x in enumerate(ids):
        if x == brk:
            f = next(flags)
            changed[i + 1:i + 1 + len(f)] = f
    return ids, mask, changed
