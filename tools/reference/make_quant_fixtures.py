"""Quantized GGUF fixtures made by llama.cpp itself, with llama.cpp's own logits.

Writes, under testdata/weights/:

* `tiny-q-{Q8_0,Q4_0,Q4_K_M}.gguf` — a tiny llama (dim 256, 2 layers, 4 heads / 1 KV head,
  head_dim 64, ffn 256, vocab 448 with a SentencePiece-style token list) written in F16
  here and quantized by llama.cpp's `llama-quantize` (the mixes it writes: Q8_0 everywhere;
  Q4_0 with a Q6_K output; Q4_K with Q6_K attn_v/ffn_down/output for Q4_K_M; F32 norms).
  Tied embeddings (no output.weight), so the quantized token_embd is the lm_head too.
  Weights are seeded normal draws scaled like make_gguf_fixtures.py (embeddings std 1,
  projections std 1/sqrt(fan_in), attn_output and ffn_down 4x that so the layers and not
  the token's own embedding pick the next token, norm gains 1 +- 0.1).
* `tiny-q-<TYPE>.llama.json` and `.llama.f32` — llama.cpp's greedy decoding from a fixed
  16-id prompt (build/llama_logits from tools/peers: prompt as one batch, then single-token
  decodes; F16 KV cache, flash attention auto), its logits for every row
  (float32 [16 + 16 - 1, 448]) and each step's top-2 margin.

Needs the llama.cpp set-up of tools/peers/setup.sh (default /tmp/peers):

    bash tools/peers/setup.sh /tmp/peers
    /usr/bin/python3 tools/reference/make_quant_fixtures.py [--peers /tmp/peers]
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "testdata", "weights")
sys.path.insert(0, os.path.join(os.path.dirname(ROOT), "shared", "peers"))
import gen_gguf as gg  # noqa: E402  (../shared/peers: the GGUF writer helpers and vocab)

SHAPE = dict(dim=256, n_layer=1, n_head=4, n_kv_head=1, ffn=256, vocab=448, ctx=128)
TYPES = ["Q8_0", "Q4_0", "Q4_K_M"]
N_PROMPT, N_STEPS = 16, 16
MIN_MARGIN_REL = 0.03  # greedy top-2 margin / rms(logits)


def write_f16(path, seed=20261206):
    c = SHAPE
    rng = np.random.default_rng(seed)
    toks, scores, types = gg.build_vocab(c["vocab"])
    meta = [
        gg.kv("general.architecture", gg.T_STRING, "llama"),
        gg.kv("general.name", gg.T_STRING, "tiny-q"),
        gg.kv("general.file_type", gg.T_UINT32, 1),
        gg.kv("general.alignment", gg.T_UINT32, gg.ALIGN),
        gg.kv("llama.context_length", gg.T_UINT32, c["ctx"]),
        gg.kv("llama.embedding_length", gg.T_UINT32, c["dim"]),
        gg.kv("llama.block_count", gg.T_UINT32, c["n_layer"]),
        gg.kv("llama.feed_forward_length", gg.T_UINT32, c["ffn"]),
        gg.kv("llama.attention.head_count", gg.T_UINT32, c["n_head"]),
        gg.kv("llama.attention.head_count_kv", gg.T_UINT32, c["n_kv_head"]),
        gg.kv("llama.rope.dimension_count", gg.T_UINT32, c["dim"] // c["n_head"]),
        gg.kv("llama.rope.freq_base", gg.T_FLOAT32, 10000.0),
        gg.kv("llama.attention.layer_norm_rms_epsilon", gg.T_FLOAT32, 1e-5),
        gg.kv("llama.vocab_size", gg.T_UINT32, c["vocab"]),
        gg.kv("tokenizer.ggml.model", gg.T_STRING, "llama"),
        gg.kv_array("tokenizer.ggml.tokens", gg.T_STRING, toks),
        gg.kv_array("tokenizer.ggml.scores", gg.T_FLOAT32, scores),
        gg.kv_array("tokenizer.ggml.token_type", gg.T_INT32, types),
        gg.kv("tokenizer.ggml.unknown_token_id", gg.T_UINT32, 0),
        gg.kv("tokenizer.ggml.bos_token_id", gg.T_UINT32, 1),
        gg.kv("tokenizer.ggml.eos_token_id", gg.T_UINT32, 2),
    ]
    arrays = []
    for name, dims, ttype in gg.tensor_list(c):
        shape = tuple(reversed(dims))  # numpy order: [out, in]
        if ttype == gg.GGML_F32:
            a = (1 + rng.uniform(-0.1, 0.1, shape)).astype("<f4")
        else:
            std = 1.0 if name == "token_embd.weight" else shape[-1] ** -0.5
            if name.endswith(("attn_output.weight", "ffn_down.weight")):
                std *= 4  # so the layers, not the token's own (tied) embedding, pick the next token
            a = (rng.standard_normal(shape) * std).astype("<f2")
        arrays.append((name, dims, ttype, a))
    infos, offset = [], 0
    for name, dims, ttype, a in arrays:
        infos.append(gg.s(name) + struct.pack("<I", len(dims)) + struct.pack("<%dQ" % len(dims), *dims)
                     + struct.pack("<IQ", ttype, offset))
        offset += a.nbytes + gg.pad(a.nbytes)
    header = struct.pack("<4sIQQ", b"GGUF", 3, len(arrays), len(meta)) + b"".join(meta) + b"".join(infos)
    with open(path, "wb") as f:
        f.write(header + b"\0" * gg.pad(len(header)))
        for _, _, _, a in arrays:
            f.write(a.tobytes() + b"\0" * gg.pad(a.nbytes))


def prompt_ids(n, vocab, seed=12345):
    """BOS then n-1 ids from the LCG of tools/peers/agree.py (avoids the special ids 0..2)."""
    ids, s = [1], seed
    while len(ids) < n:
        s = (s * 1103515245 + 12345) % 2**32
        ids.append(3 + s % (vocab - 3))
    return ids


def top2(row):
    s = np.sort(row)
    return float(s[-1] - s[-2])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--peers", default="/tmp/peers")
    a = ap.parse_args()
    bins = os.path.join(a.peers, "node_modules/@node-llama-cpp/linux-x64/bins/linux-x64")
    env = dict(os.environ, LD_LIBRARY_PATH=bins)
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "tiny-q-f16.gguf")
        write_f16(src)
        for t in TYPES:
            subprocess.run([os.path.join(a.peers, "build/llama-quantize"), src, os.path.join(OUT, "tiny-q-%s.gguf" % t), t, "1"],
                           cwd=bins, env=env, check=True, capture_output=True)

    def llama(t, ids):
        name = "tiny-q-" + t
        logits = os.path.join(OUT, name + ".llama.f32")
        p = subprocess.run([os.path.join(a.peers, "build/llama_logits"), os.path.join(OUT, name + ".gguf"),
                            ",".join(map(str, ids)), str(N_STEPS), "1", logits], cwd=bins, env=env, check=True,
                           capture_output=True, text=True)
        rows = np.fromfile(logits, dtype="<f4").reshape(-1, SHAPE["vocab"])
        return json.loads(p.stdout), rows

    # A prompt whose greedy steps all lead by MIN_MARGIN_REL x rms on every type, so a
    # runtime that rounds activations differently cannot fail on a near-tie.
    for seed in range(12345, 12445):
        ids = prompt_ids(N_PROMPT, SHAPE["vocab"], seed)
        runs = {t: llama(t, ids) for t in TYPES}
        if all(min(top2(r) for r in rows[N_PROMPT - 1:]) >= MIN_MARGIN_REL * np.sqrt(np.mean(rows ** 2))
               for _, rows in runs.values()):
            break
    else:
        raise SystemExit("no prompt seed gives greedy margins >= %g x rms" % MIN_MARGIN_REL)
    for t in TYPES:
        name = "tiny-q-" + t
        info, rows = llama(t, ids)  # again, so the .f32 file on disk is this prompt's
        steps = rows[N_PROMPT - 1:]
        exp = {
            "model": name + ".gguf",
            "generator": "tools/reference/make_quant_fixtures.py (llama-quantize %s, then build/llama_logits)" % t,
            "llama_cpp": info,
            "prompt_seed": seed,
            "prompt_ids": ids,
            "logits_file": name + ".llama.f32",
            "logits_format": "raw little-endian float32 [%d + %d - 1, vocab]: every prompt position, then "
                             "one row per greedy step" % (N_PROMPT, N_STEPS),
            "vocab_size": SHAPE["vocab"],
            "rms_logit": float(np.sqrt(np.mean(rows ** 2))),
            "greedy": info["greedy"],
            "top2_margins": [top2(r) for r in steps],
        }
        with open(os.path.join(OUT, name + ".llama.json"), "w") as f:
            json.dump(exp, f, indent=1)
            f.write("\n")
        print("%s: %d bytes, prompt seed %d, rms logit %.3g, min margin %.3g, greedy %s" % (
            name, os.path.getsize(os.path.join(OUT, name + ".gguf")), seed, exp["rms_logit"],
            min(exp["top2_margins"]), info["greedy"]))


if __name__ == "__main__":
    sys.exit(main())
