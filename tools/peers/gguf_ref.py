"""Float64 reference forward pass of a llama-architecture GGUF (F32/F16 tensors), in numpy.

Written from the GGUF/ggml definition of the llama graph, not from chatumm's Go code nor
llama.cpp's, to arbitrate when the two disagree:

    x = token_embd[id]
    per layer:  h = rmsnorm(x) * attn_norm;  q,k,v = Wq h, Wk h, Wv h
                q,k rotated on adjacent pairs (ggml rope mode 0, the GGUF llama layout):
                  (x[2i], x[2i+1]) by pos * base^(-2i/head_dim)
                causal softmax(q.k / sqrt(head_dim)) v, query head h reads kv head h // (n_head/n_kv)
                x += Wo attn;  h = rmsnorm(x) * ffn_norm;  x += Wdown(silu(Wgate h) * Wup h)
    logits = output (rmsnorm(x) * output_norm)

Every position's logits (teacher forcing over the given ids) go to --out as raw float32
[n_ids, vocab]. Weights are upcast exactly; all arithmetic is float64.

--f16-act emulates where llama.cpp rounds on the CPU with F16 weights: the activation
operand of every F16-weight matmul is rounded to f16 (ggml converts src1 to the weight's
vec_dot_type), K and V are stored in an f16 cache, and the attention probabilities are
rounded to f16 before they multiply V (flash attention's f16 V path). The difference
between the two runs shows how far llama.cpp's rounding alone moves the logits.

    /usr/bin/python3 tools/peers/gguf_ref.py --model M.gguf --ids 1,2,3 --out ref.f32 [--f16-act]
"""
import argparse
import struct
import sys

import numpy as np

GGML_F32, GGML_F16 = 0, 1
VALUE_FORMATS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
T_STRING, T_ARRAY = 8, 9


class GGUF:
    """Minimal GGUF v2/v3 reader: metadata, and numpy views of F32/F16 tensors."""

    def __init__(self, path):
        self.path = path
        self.buf = np.memmap(path, dtype=np.uint8, mode="r")
        self.pos = 0
        magic, version = struct.unpack_from("<4sI", self.buf, 0)
        if magic != b"GGUF" or version not in (2, 3):
            raise SystemExit("%s: not a GGUF v2/v3 file" % path)
        self.pos = 8
        n_tensors, n_kv = self.u64(), self.u64()
        self.meta = {}
        for _ in range(n_kv):
            key = self.string()
            self.meta[key] = self.value(self.u32())
        infos = []
        for _ in range(n_tensors):
            name = self.string()
            nd = self.u32()
            dims = [self.u64() for _ in range(nd)]
            ttype, off = self.u32(), self.u64()
            infos.append((name, dims, ttype, off))
        align = self.meta.get("general.alignment", 32)
        base = (self.pos + align - 1) // align * align
        self.tensors = {}
        for name, dims, ttype, off in infos:
            if ttype not in (GGML_F32, GGML_F16):
                raise SystemExit("%s: tensor %s has ggml type %d; only F32 and F16 are supported" % (path, name, ttype))
            dt = np.dtype("<f4") if ttype == GGML_F32 else np.dtype("<f2")
            n = int(np.prod(dims))
            start = base + off
            if start + n * dt.itemsize > len(self.buf):
                raise SystemExit("%s: tensor %s runs past the end of the file" % (path, name))
            a = self.buf[start:start + n * dt.itemsize].view(dt)
            # ggml dims are innermost first; numpy shape is outermost first
            self.tensors[name] = (a.reshape(list(reversed(dims))), ttype)

    def u32(self):
        v = struct.unpack_from("<I", self.buf, self.pos)[0]
        self.pos += 4
        return v

    def u64(self):
        v = struct.unpack_from("<Q", self.buf, self.pos)[0]
        self.pos += 8
        return v

    def string(self):
        n = self.u64()
        s = bytes(self.buf[self.pos:self.pos + n]).decode("utf-8", "replace")
        self.pos += n
        return s

    def value(self, t):
        if t == T_STRING:
            return self.string()
        if t == T_ARRAY:
            et, n = self.u32(), self.u64()
            return [self.value(et) for _ in range(n)]
        fmt = VALUE_FORMATS[t]
        v = struct.unpack_from(fmt, self.buf, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return v

    def f64(self, name):
        return self.tensors[name][0].astype(np.float64)

    def is_f16(self, name):
        return self.tensors[name][1] == GGML_F16


def to_f16(x):
    return x.astype(np.float16).astype(np.float64)


def rmsnorm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def rope_pairs(x, pos, base):
    """x [T, heads, hd]: rotate adjacent pairs (ggml rope mode 0)."""
    hd = x.shape[-1]
    inv = base ** (-np.arange(0, hd, 2, dtype=np.float64) / hd)
    ang = pos[:, None].astype(np.float64) * inv[None, :]  # [T, hd/2]
    c, s = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    x0, x1 = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = x0 * c - x1 * s
    out[..., 1::2] = x0 * s + x1 * c
    return out


def attention_like_ggml(q, k16, v16, group, n_prompt):
    """Causal attention as ggml's CPU flash attention computes it over an F16 KV cache.

    Rows computed one query at a time (all rows, when the prompt batch is shorter than the
    64-row tile, and every decoded row) take ggml_compute_forward_flash_attn_ext_f16_one_chunk:
    q rounded to f16, keys visited in order with an online softmax, and the output
    accumulated in an f16 vector (VKQ16: rescale and multiply-add, rounded to f16 each time).
    Prompt rows of a batch of >= 64 take the tiled path: f32 q, f16 K and V, f32 softmax.
    """
    T, H, hd = q.shape
    scale = 1.0 / np.sqrt(hd)
    kv_of = np.arange(H) // group
    out = np.empty_like(q)
    tiled = n_prompt >= 64
    if tiled:  # prompt rows: plain softmax over f16 K/V
        for hh in range(H):
            s = q[:n_prompt, hh, :] @ k16[:n_prompt, kv_of[hh], :].T * scale
            s += np.triu(np.full((n_prompt, n_prompt), -np.inf), 1)
            s = np.exp(s - s.max(axis=1, keepdims=True))
            out[:n_prompt, hh, :] = (s / s.sum(axis=1, keepdims=True)) @ v16[:n_prompt, kv_of[hh], :]
    first = n_prompt if tiled else 0
    rows = np.arange(first, T)
    q16 = to_f16(q[first:])  # [R, H, hd]
    M = np.full((len(rows), H), -np.inf)
    S = np.zeros((len(rows), H))
    O = np.zeros((len(rows), H, hd))  # holds f16 values
    for j in range(T):
        live = (rows >= j)[:, None]  # causal mask: key j is visible to rows >= j
        if not live.any():
            break
        s = np.einsum("rhd,hd->rh", q16, k16[j, kv_of, :]) * scale
        new_max = live & (s > M)
        ms = np.where(new_max, np.exp(np.minimum(M - s, 0.0)), 1.0)
        vs = np.where(new_max, 1.0, np.exp(np.minimum(s - M, 0.0)))
        O = np.where(new_max[..., None], to_f16(O * ms[..., None]), O)
        O = np.where(live[..., None], to_f16(O + v16[j, kv_of, :][None] * vs[..., None]), O)
        S = np.where(live, S * ms + vs, S)
        M = np.where(new_max, s, M)
    out[first:] = O / S[..., None]
    return out


def forward(g, ids, f16_act, n_prompt):
    arch = g.meta.get("general.architecture")
    if arch != "llama":
        raise SystemExit("%s: architecture %r, want llama" % (g.path, arch))
    p = "llama."
    n_layer = g.meta[p + "block_count"]
    n_head = g.meta[p + "attention.head_count"]
    n_kv = g.meta.get(p + "attention.head_count_kv", n_head)
    eps = g.meta[p + "attention.layer_norm_rms_epsilon"]
    base = g.meta.get(p + "rope.freq_base", 10000.0)

    def mm(name, h):
        w = g.f64(name)  # [out, in]
        if f16_act and g.is_f16(name):
            h = to_f16(h)
        return h @ w.T

    emb = g.tensors["token_embd.weight"][0]
    x = emb[np.asarray(ids)].astype(np.float64)  # [T, dim]
    T, dim = x.shape
    hd = dim // n_head
    group = n_head // n_kv
    pos = np.arange(T)
    mask = np.triu(np.full((T, T), -np.inf), 1)
    for L in range(n_layer):
        b = "blk.%d." % L
        h = rmsnorm(x, g.f64(b + "attn_norm.weight"), eps)
        q = rope_pairs(mm(b + "attn_q.weight", h).reshape(T, n_head, hd), pos, base)
        k = rope_pairs(mm(b + "attn_k.weight", h).reshape(T, n_kv, hd), pos, base)
        v = mm(b + "attn_v.weight", h).reshape(T, n_kv, hd)
        if f16_act:
            att = attention_like_ggml(q, to_f16(k), to_f16(v), group, n_prompt)
        else:
            att = np.empty((T, n_head, hd))
            for hh in range(n_head):
                kh = hh // group
                s = q[:, hh, :] @ k[:, kh, :].T / np.sqrt(hd) + mask
                s = np.exp(s - s.max(axis=1, keepdims=True))
                s /= s.sum(axis=1, keepdims=True)
                att[:, hh, :] = s @ v[:, kh, :]
        x = x + mm(b + "attn_output.weight", att.reshape(T, dim))
        h = rmsnorm(x, g.f64(b + "ffn_norm.weight"), eps)
        gate = mm(b + "ffn_gate.weight", h)
        up = mm(b + "ffn_up.weight", h)
        x = x + mm(b + "ffn_down.weight", gate / (1 + np.exp(-gate)) * up)
    x = rmsnorm(x, g.f64("output_norm.weight"), eps)
    out_name = "output.weight" if "output.weight" in g.tensors else "token_embd.weight"
    return mm(out_name, x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--ids", required=True, help="comma-separated token ids (the whole sequence)")
    ap.add_argument("--out", required=True, help="raw float32 logits [n_ids, vocab]")
    ap.add_argument("--f16-act", action="store_true", help="round activations as llama.cpp's F16 path does")
    ap.add_argument("--n-prompt", type=int, default=0, help="with --f16-act: how many leading ids llama.cpp ran as one batch")
    a = ap.parse_args()
    ids = [int(s) for s in a.ids.split(",") if s.strip()]
    g = GGUF(a.model)
    logits = forward(g, ids, a.f16_act, a.n_prompt or len(ids))
    logits.astype("<f4").tofile(a.out)
    print("%s: %d positions, vocab %d, argmax of the last: %d" % (a.out, len(ids), logits.shape[1], int(np.argmax(logits[-1]))))


if __name__ == "__main__":
    sys.exit(main())
