"""Byte-level BPE (Hugging Face tokenizers semantics) trainer, encoder and
tokenizer.json writer, written without the tokenizers library.

Encoding follows HF exactly for the text we use: the GPT-2 pre-tokenization
regex (ByteLevel pre-tokenizer, add_prefix_space false, use_regex true), each
piece's UTF-8 bytes mapped through GPT-2's byte-to-unicode table, then merges
applied by rank (lowest rank first, leftmost occurrence first). The regex is
the GPT-2 one written for Python's `re` (the `regex` module is not installed):
\\p{L} is [^\\W\\d_] and \\p{N} is \\d, which agree on the ASCII text we train on.

Vocabulary layout: the special tokens first (<s> <pad> </s> <unk>
<racm3:break> <eoss> <reserved08706>), then the K image tokens IMGIMG<letters>Z,
then the 256 byte symbols, then one token per merge.
"""
import collections
import json
import re

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
_PRE = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")

SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<racm3:break>", "<eoss>", "<reserved08706>"]


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable unicode character map."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


B2U = bytes_to_unicode()
U2B = {v: k for k, v in B2U.items()}


def image_token_name(code):
    """VQ code -> 'IMGIMG<letters>Z' with decimal digits 0..9 spelled A..J."""
    return "IMGIMG" + "".join(chr(ord("A") + int(d)) for d in str(code)) + "Z"


def pre_tokenize(text):
    return ["".join(B2U[b] for b in piece.encode("utf-8")) for piece in _PRE.findall(text)]


class BPE:
    def __init__(self, merges, num_image_tokens, lowercase=False):
        # lowercase: a Lowercase normalizer (Hugging Face semantics: every
        # character through Unicode lower-casing) before pre-tokenization,
        # written into tokenizer.json, so "DRAW A Circle" reads as the model's
        # lower-case training text.
        self.lowercase = lowercase
        self.merges = merges                       # list of (a, b)
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.vocab = {}
        for s in SPECIALS:
            self.vocab[s] = len(self.vocab)
        for c in range(num_image_tokens):
            self.vocab[image_token_name(c)] = len(self.vocab)
        for b in range(256):
            self.vocab[B2U[b]] = len(self.vocab)
        for a, b in merges:
            if a + b not in self.vocab:
                self.vocab[a + b] = len(self.vocab)
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        self.num_image_tokens = num_image_tokens
        self.cache = {}

    def special(self, name):
        return self.vocab[name]

    def image_id(self, code):
        return self.vocab[image_token_name(code)]

    def first_image_id(self):
        return self.vocab[image_token_name(0)]

    def _bpe(self, word):
        if word in self.cache:
            return self.cache[word]
        syms = list(word)
        while len(syms) > 1:
            best, best_i = None, -1
            for i in range(len(syms) - 1):
                r = self.ranks.get((syms[i], syms[i + 1]))
                if r is not None and (best is None or r < best):
                    best, best_i = r, i
            if best is None:
                break
            a, b = self.merges[best]
            out, i = [], 0
            while i < len(syms):  # merge every occurrence left to right
                if i < len(syms) - 1 and syms[i] == a and syms[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            syms = out
        ids = [self.vocab[s] for s in syms]
        self.cache[word] = ids
        return ids

    def encode(self, text):
        ids = []
        if self.lowercase:
            text = text.lower()
        for w in pre_tokenize(text):
            ids += self._bpe(w)
        return ids

    def decode(self, ids):
        out = bytearray()
        for i in ids:
            t = self.id_to_token[i]
            if t in SPECIALS or t.startswith("IMGIMG"):
                continue
            out += bytes(U2B[c] for c in t)
        return out.decode("utf-8", errors="replace")

    def to_json(self):
        added = [{"id": self.vocab[s], "content": s, "single_word": False, "lstrip": False,
                  "rstrip": False, "normalized": False, "special": True}
                 for s in SPECIALS + [image_token_name(c) for c in range(self.num_image_tokens)]]
        added.sort(key=lambda a: a["id"])
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": {"type": "Lowercase"} if self.lowercase else None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                              "use_regex": True},
            # The runtime puts <s> at the start of a conversation itself.
            "post_processor": None,
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                        "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None,
                      "continuing_subword_prefix": None, "end_of_word_suffix": None,
                      "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                      "vocab": self.vocab,
                      "merges": [a + " " + b for a, b in self.merges]},
        }


def train_bpe(texts, num_merges, min_freq=2):
    """Classic BPE training on pre-tokenized words: repeatedly merge the most
    frequent adjacent pair (ties broken by the pair itself, for determinism)."""
    words = collections.Counter()
    for t in texts:
        words.update(pre_tokenize(t))
    split = {w: list(w) for w in words}
    merges = []
    for _ in range(num_merges):
        pairs = collections.Counter()
        for w, f in words.items():
            s = split[w]
            for i in range(len(s) - 1):
                pairs[(s[i], s[i + 1])] += f
        if not pairs:
            break
        (a, b), f = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        if f < min_freq:
            break
        merges.append((a, b))
        for w in words:
            s = split[w]
            if len(s) < 2:
                continue
            out, i = [], 0
            while i < len(s):
                if i < len(s) - 1 and s[i] == a and s[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            split[w] = out
    return merges


def save_tokenizer(bpe, path):
    with open(path, "w") as f:
        json.dump(bpe.to_json(), f, ensure_ascii=False, indent=1)


def load_tokenizer(path):
    with open(path) as f:
        j = json.load(f)
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in j["model"]["merges"]]
    k = sum(1 for t in j["model"]["vocab"] if t.startswith("IMGIMG"))
    norm = j.get("normalizer")
    if norm not in (None, {"type": "Lowercase"}):
        raise ValueError("%s: normalizer %r is not the chatumm-tiny one (none or Lowercase)" % (path, norm))
    bpe = BPE(merges, k, lowercase=norm is not None)
    if bpe.vocab != j["model"]["vocab"]:
        raise ValueError("%s: vocabulary does not follow the chatumm-tiny layout" % path)
    return bpe
