"""GGUF reference fixtures: a second tiny llama GGUF and expected logits for both.

Writes, under testdata/weights/:

* `tiny-mqa-tied.gguf` — a llama GGUF with another head layout than tiny-llama.gguf: one
  KV head for two query heads (MQA), head_dim 16, F32 tensors, tied embeddings (no
  output.weight), rope.freq_base 500000, rms epsilon 1e-6, no rope.dimension_count key.
  Weights are seeded normal draws scaled like the safetensors fixtures (embeddings std 1,
  projections std 1/sqrt(fan_in), norm gains 1 +- 0.1), so attention is far from uniform
  and logits have std about 6; attn_output and ffn_down are drawn twice as wide so the
  layers, not the token's own (tied) embedding, decide the next token.
* `<name>.ref.json` and `<name>.logits.f32` for tiny-llama.gguf and tiny-mqa-tied.gguf:
  the logits of every prompt position (raw float32 [n_ids, vocab]) and a 16-token greedy
  continuation, each step a full float64 forward.

The forward is tools/peers/gguf_ref.py (float64 numpy, its own GGUF reader, written from the
GGUF/ggml definition of the llama graph, not from the Go code). A prompt seed is accepted
only if every greedy step's top-2 margin is at least MIN_MARGIN_REL times the rms logit, so
a correct runtime with an f16 KV cache cannot fail on a near-tie.

    /usr/bin/python3 tools/reference/make_gguf_fixtures.py
"""
import json
import os
import struct
import sys

# One BLAS thread: a threaded matmul sums in a varying order, which moves the
# float64 margins in expected.json in their last bits from run to run.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "testdata", "weights")
sys.path.insert(0, os.path.join(ROOT, "tools", "peers"))
import gguf_ref  # noqa: E402

N_PROMPT, N_GREEDY = 20, 16
MIN_MARGIN_REL = 0.02  # greedy top-2 margin / rms(logits); the f16 KV error is ~1e-3 of rms
T_UINT32, T_FLOAT32, T_STRING = 4, 6, 8
GGML_F32 = 0
ALIGN = 32


def gguf_string(b):
    b = b.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def kv(key, vtype, value):
    out = gguf_string(key) + struct.pack("<I", vtype)
    if vtype == T_STRING:
        return out + gguf_string(value)
    return out + struct.pack("<I" if vtype == T_UINT32 else "<f", value)


def pad(n):
    return (ALIGN - n % ALIGN) % ALIGN


def write_mqa_tied(path, seed=20261206):
    dim, n_layer, n_head, n_kv, ffn, vocab, ctx = 32, 2, 2, 1, 40, 96, 64
    hd = dim // n_head
    rng = np.random.default_rng(seed)

    def normal(shape, std):
        return (rng.standard_normal(shape) * std).astype("<f4")

    def gain(n):
        return (1 + rng.uniform(-0.1, 0.1, n)).astype("<f4")

    # numpy shapes, outermost first: [out, in] for projections
    tensors = [("token_embd.weight", normal((vocab, dim), 1.0))]
    for i in range(n_layer):
        p = "blk.%d." % i
        tensors += [
            (p + "attn_norm.weight", gain(dim)),
            (p + "attn_q.weight", normal((dim, dim), dim ** -0.5)),
            (p + "attn_k.weight", normal((n_kv * hd, dim), dim ** -0.5)),
            (p + "attn_v.weight", normal((n_kv * hd, dim), dim ** -0.5)),
            (p + "attn_output.weight", normal((dim, dim), 2 * dim ** -0.5)),
            (p + "ffn_norm.weight", gain(dim)),
            (p + "ffn_gate.weight", normal((ffn, dim), dim ** -0.5)),
            (p + "ffn_up.weight", normal((ffn, dim), dim ** -0.5)),
            (p + "ffn_down.weight", normal((dim, ffn), 2 * ffn ** -0.5)),
        ]
    tensors.append(("output_norm.weight", gain(dim)))
    meta = [
        kv("general.architecture", T_STRING, "llama"),
        kv("general.name", T_STRING, "random-llama-mqa-tied-f32"),
        kv("general.alignment", T_UINT32, ALIGN),
        kv("llama.context_length", T_UINT32, ctx),
        kv("llama.embedding_length", T_UINT32, dim),
        kv("llama.block_count", T_UINT32, n_layer),
        kv("llama.feed_forward_length", T_UINT32, ffn),
        kv("llama.attention.head_count", T_UINT32, n_head),
        kv("llama.attention.head_count_kv", T_UINT32, n_kv),
        kv("llama.rope.freq_base", T_FLOAT32, 500000.0),
        kv("llama.attention.layer_norm_rms_epsilon", T_FLOAT32, 1e-6),
    ]
    infos, offset = [], 0
    for name, a in tensors:
        dims = list(reversed(a.shape))  # ggml: innermost first
        infos.append(gguf_string(name) + struct.pack("<I", len(dims)) + struct.pack("<%dQ" % len(dims), *dims)
                     + struct.pack("<IQ", GGML_F32, offset))
        offset += a.nbytes + pad(a.nbytes)
    header = struct.pack("<4sIQQ", b"GGUF", 3, len(tensors), len(meta)) + b"".join(meta) + b"".join(infos)
    with open(path, "wb") as f:
        f.write(header + b"\0" * pad(len(header)))
        for _, a in tensors:
            f.write(a.tobytes() + b"\0" * pad(a.nbytes))


def top2(row):
    s = np.sort(row)
    return float(s[-1] - s[-2])


def make_expected(name, first_id=3):
    path = os.path.join(OUT, name + ".gguf")
    g = gguf_ref.GGUF(path)
    vocab = g.tensors["token_embd.weight"][0].shape[0]
    for seed in range(1, 1000):
        rng = np.random.default_rng([seed, vocab])
        ids = [1] + [int(i) for i in rng.integers(first_id, vocab, N_PROMPT - 1)]
        logits = gguf_ref.forward(g, ids, False, len(ids))
        rms = float(np.sqrt(np.mean(logits ** 2)))
        seq, greedy, margins, ok = list(ids), [], [], True
        last = logits[-1]
        for _ in range(N_GREEDY):
            margins.append(top2(last))
            if margins[-1] < MIN_MARGIN_REL * rms:
                ok = False
                break
            greedy.append(int(np.argmax(last)))
            seq.append(greedy[-1])
            last = gguf_ref.forward(g, seq, False, len(seq))[-1]
        if ok:
            break
    else:
        raise SystemExit("%s: no prompt seed gives greedy margins >= %g x rms" % (name, MIN_MARGIN_REL))
    logits.astype("<f4").tofile(os.path.join(OUT, name + ".logits.f32"))
    exp = {
        "model": name + ".gguf",
        "reference": "tools/peers/gguf_ref.py forward, float64, weights upcast exactly",
        "generator": "tools/reference/make_gguf_fixtures.py",
        "prompt_seed": seed,
        "prompt_ids": ids,
        "logits_file": name + ".logits.f32",
        "logits_format": "raw little-endian float32 [len(prompt_ids), vocab_size], every prompt position",
        "vocab_size": vocab,
        "rms_logit": rms,
        "max_abs_logit": float(np.abs(logits).max()),
        "prompt_top2_margins": [top2(r) for r in logits],
        "greedy": greedy,
        "top2_margins": margins,
    }
    with open(os.path.join(OUT, name + ".ref.json"), "w") as f:
        json.dump(exp, f, indent=1)
        f.write("\n")
    print("%s: seed %d, rms logit %.4g, min greedy margin %.4g, greedy %s" % (name, seed, rms, min(margins), greedy))


def main():
    write_mqa_tied(os.path.join(OUT, "tiny-mqa-tied.gguf"))
    make_expected("tiny-llama")
    make_expected("tiny-mqa-tied")


if __name__ == "__main__":
    sys.exit(main())
