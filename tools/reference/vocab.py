"""Vocabulary helpers: special tokens and image codebook tokens looked up by name.

Image tokens are named IMGIMG<letters>Z; strip IMGIMG and Z, map letters A..J to digits
0..9 and read the decimal number: that is the VQ code (model-families.md §A.5).
"""
import json
import re

IMAGE_TOKEN = re.compile(r"^IMGIMG([A-J]+)Z$")


def load_vocab(tokenizer_json_path):
    with open(tokenizer_json_path, encoding="utf-8") as f:
        tok = json.load(f)
    vocab = dict(tok["model"]["vocab"])
    for added in tok.get("added_tokens", []):
        vocab[added["content"]] = added["id"]
    return vocab


def vocab_size(vocab):
    return max(vocab.values()) + 1


def image_code_of(name):
    """VQ code of an image token name, or None for any other token."""
    m = IMAGE_TOKEN.match(name)
    if not m:
        return None
    return int("".join(str(ord(c) - ord("A")) for c in m.group(1)))


def image_token_ids(vocab):
    """dict token id -> VQ code for every image codebook token."""
    out = {}
    for name, tid in vocab.items():
        code = image_code_of(name)
        if code is not None:
            out[tid] = code
    return out


def special_ids(vocab):
    names = {"bos": "<s>", "pad": "<pad>", "eos": "</s>", "unk": "<unk>",
             "begin_image": "<racm3:break>", "end_image": "<eoss>",
             "end_of_turn": "<reserved08706>"}
    return {role: vocab[name] for role, name in names.items()}
