"""Float64 reference forward pass of a Chameleon / Lumina / Llama / MoT checkpoint.

Written from the public definition (model-families.md §A.4, tools/reference/SPEC.md), not
from the Go code. Weights are read from model.safetensors and upcast exactly to float64, so
the result is the exact answer for the stored weights; the Go runtime is judged against it
with a tolerance.

    /usr/bin/python3 tools/reference/chameleon_ref.py --model DIR --ids 0,5,9
prints the argmax of the last position's logits.
"""
import argparse
import json
import math
import os

import torch

from safetensors_io import load_float64
from vocab import image_token_ids, load_vocab

QK_NORM_EPS = 1e-5  # hard-coded in Chameleon's LayerNorm on q and k


class Config:
    def __init__(self, path):
        with open(path) as f:
            c = json.load(f)
        self.raw = c
        self.model_type = c["model_type"]
        self.vocab_size = c["vocab_size"]
        self.dim = c["hidden_size"]
        self.ffn = c["intermediate_size"]
        self.layers = c["num_hidden_layers"]
        self.heads = c["num_attention_heads"]
        self.kv_heads = c.get("num_key_value_heads") or self.heads
        self.head_dim = c.get("head_dim") or self.dim // self.heads
        self.eps = c["rms_norm_eps"]
        theta = c.get("rope_theta")
        if theta is None:
            theta = c.get("rope_parameters", {}).get("rope_theta", 10000.0)
        self.rope_theta = float(theta)
        self.swin_norm = bool(c.get("swin_norm", False))
        self.tied = bool(c.get("tie_word_embeddings", False))
        self.mot = bool(c.get("mixture_of_transformers", False))


def rms_norm(x, w, eps):
    return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps) * w


def qk_layer_norm(x, w, b):
    """x [T, heads, hd]; w, b [G, hd] with G dividing heads: head h uses row h // (heads/G)."""
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    y = (x - mean) / torch.sqrt(var + QK_NORM_EPS)
    groups = w.shape[0]
    heads = x.shape[1]
    assert heads % groups == 0, "qk-norm rows %d do not divide heads %d" % (groups, heads)
    w = w.repeat_interleave(heads // groups, dim=0)
    b = b.repeat_interleave(heads // groups, dim=0)
    return y * w + b


def rope(x, positions, theta):
    """Rotate-half RoPE. x [T, heads, hd]; dims i and i+hd/2 share angle pos*inv_freq[i]."""
    hd = x.shape[-1]
    half = hd // 2
    inv_freq = 1.0 / (theta ** (torch.arange(0, half, dtype=torch.float64) * 2.0 / hd))
    angles = positions.double()[:, None] * inv_freq[None, :]          # [T, half]
    angles = torch.cat([angles, angles], dim=-1)[:, None, :]          # [T, 1, hd]
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * torch.cos(angles) + rotated * torch.sin(angles)


class Reference:
    def __init__(self, model_dir):
        self.cfg = Config(os.path.join(model_dir, "config.json"))
        self.w = load_float64(os.path.join(model_dir, "model.safetensors"))
        vocab = load_vocab(os.path.join(model_dir, "tokenizer.json"))
        self.image_ids = set(image_token_ids(vocab))

    def tensor(self, name, moe_gen):
        """Weight `name`; for image positions of a MoT model, its _moe_gen copy."""
        if not moe_gen:
            return self.w[name]
        base, leaf = name.rsplit(".", 1)   # e.g. model.layers.0.self_attn.q_proj / weight
        if ".mlp." in name:
            # model.layers.0.mlp.gate_proj.weight -> model.layers.0.mlp_moe_gen.gate_proj.weight
            return self.w[name.replace(".mlp.", ".mlp_moe_gen.")]
        return self.w[base + "_moe_gen." + leaf]

    def forward(self, ids):
        """Logits [len(ids), vocab] in float64 for a full causal forward from position 0."""
        cfg = self.cfg
        ids_t = torch.tensor(ids, dtype=torch.long)
        T = len(ids)
        h = self.w["model.embed_tokens.weight"][ids_t].clone()
        positions = torch.arange(T)
        experts = [False]
        is_image = torch.tensor([i in self.image_ids for i in ids])
        if cfg.mot:
            experts = [False, True]
        for layer in range(cfg.layers):
            h = self.layer(h, layer, positions, experts, is_image)
        out = torch.empty_like(h)
        for gen in experts:
            rows = self.rows_of(gen, is_image)
            out[rows] = rms_norm(h[rows], self.tensor("model.norm.weight", gen), cfg.eps)
        lm_head = self.w["model.embed_tokens.weight"] if cfg.tied and "lm_head.weight" not in self.w \
            else self.w["lm_head.weight"]
        return out @ lm_head.T

    def rows_of(self, gen, is_image):
        if not self.cfg.mot:
            return torch.ones(len(is_image), dtype=torch.bool)
        return is_image if gen else ~is_image

    def project(self, x, name, experts, is_image, out_features):
        """x @ W.T with per-row expert choice."""
        y = torch.zeros(x.shape[0], out_features, dtype=torch.float64)
        for gen in experts:
            rows = self.rows_of(gen, is_image)
            y[rows] = x[rows] @ self.tensor(name, gen).T
        return y

    def norm(self, x, name, experts, is_image):
        y = torch.zeros_like(x)
        for gen in experts:
            rows = self.rows_of(gen, is_image)
            y[rows] = rms_norm(x[rows], self.tensor(name, gen), self.cfg.eps)
        return y

    def attention(self, x, p, positions, experts, is_image):
        cfg = self.cfg
        T = x.shape[0]
        H, KV, hd = cfg.heads, cfg.kv_heads, cfg.head_dim
        q = self.project(x, p + "self_attn.q_proj.weight", experts, is_image, H * hd).view(T, H, hd)
        k = self.project(x, p + "self_attn.k_proj.weight", experts, is_image, KV * hd).view(T, KV, hd)
        v = self.project(x, p + "self_attn.v_proj.weight", experts, is_image, KV * hd).view(T, KV, hd)
        if p + "self_attn.q_norm.weight" in self.w:
            qn = torch.zeros_like(q)
            kn = torch.zeros_like(k)
            for gen in experts:
                rows = self.rows_of(gen, is_image)
                qn[rows] = qk_layer_norm(q[rows], self.tensor(p + "self_attn.q_norm.weight", gen),
                                         self.tensor(p + "self_attn.q_norm.bias", gen))
                kn[rows] = qk_layer_norm(k[rows], self.tensor(p + "self_attn.k_norm.weight", gen),
                                         self.tensor(p + "self_attn.k_norm.bias", gen))
            q, k = qn, kn
        q = rope(q, positions, cfg.rope_theta)
        k = rope(k, positions, cfg.rope_theta)
        group = H // KV
        k = k.repeat_interleave(group, dim=1)   # query head h uses kv head h // group
        v = v.repeat_interleave(group, dim=1)
        scores = torch.einsum("thd,shd->hts", q, k) / math.sqrt(hd)
        causal = torch.ones(T, T, dtype=torch.bool).triu(1)
        scores = scores.masked_fill(causal, float("-inf"))
        probs = torch.softmax(scores, dim=-1)
        o = torch.einsum("hts,shd->thd", probs, v).reshape(T, H * hd)
        return self.project(o, p + "self_attn.o_proj.weight", experts, is_image, cfg.dim)

    def mlp(self, x, p, experts, is_image):
        cfg = self.cfg
        gate = self.project(x, p + "mlp.gate_proj.weight", experts, is_image, cfg.ffn)
        up = self.project(x, p + "mlp.up_proj.weight", experts, is_image, cfg.ffn)
        act = gate * torch.sigmoid(gate) * up
        return self.project(act, p + "mlp.down_proj.weight", experts, is_image, cfg.dim)

    def layer(self, h, i, positions, experts, is_image):
        p = "model.layers.%d." % i
        if self.cfg.swin_norm:
            a = self.attention(h, p, positions, experts, is_image)
            h = h + self.norm(a, p + "input_layernorm.weight", experts, is_image)
            m = self.mlp(h, p, experts, is_image)
            return h + self.norm(m, p + "post_attention_layernorm.weight", experts, is_image)
        x = self.norm(h, p + "input_layernorm.weight", experts, is_image)
        h = h + self.attention(x, p, positions, experts, is_image)
        x = self.norm(h, p + "post_attention_layernorm.weight", experts, is_image)
        return h + self.mlp(x, p, experts, is_image)

    def greedy(self, ids, steps):
        """Greedy continuation (argmax over the full vocab, full forward per step).

        Returns (tokens, top2 margins) where margin = best logit - second-best logit."""
        seq = list(ids)
        tokens, margins = [], []
        for _ in range(steps):
            last = self.forward(seq)[-1]
            top = torch.topk(last, 2)
            tokens.append(int(top.indices[0]))
            margins.append(float(top.values[0] - top.values[1]))
            seq.append(tokens[-1])
        return tokens, margins


def main():
    torch.set_num_threads(1)
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--ids", required=True, help="comma-separated token ids")
    args = ap.parse_args()
    ref = Reference(args.model)
    logits = ref.forward([int(s) for s in args.ids.split(",")])
    print("argmax of last position:", int(logits[-1].argmax()), "max", float(logits[-1].max()))


if __name__ == "__main__":
    main()
