"""Float64 reference of a Janus-Pro checkpoint in the Hugging Face layout (JANUS_SPEC.md).

Written from the public definition (transformers models/janus, deepseek-ai/Janus) without
looking at the Go code: the Llama LM, Janus image preprocessing, the SigLIP understanding
tower and aligner, the generation embeddings/aligner/head, Janus classifier-free guidance
with greedy decoding, and the VQ-16 (LlamaGen) encoder, quantiser and decoder. Weights are
read from model.safetensors and upcast exactly to float64, so every output is the exact
answer for the stored weights.

    /usr/bin/python3 tools/reference/janus_ref.py --model DIR logits --ids 1,2,3 [--image F] --out L.f32
    ... --model DIR generate --ids ID,...   |  vq-encode --image F  |  vq-decode --codes F -o OUT.png
mirror the chatumm CLI contract of issue 23 (logits, guided greedy codes, vq encode/decode).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from safetensors_io import load_float64

LM = "model.language_model."
VIS = "model.vision_model."
VQ = "model.vqmodel."
VQ_GROUPS = 32          # GroupNorm groups, hard-coded in LlamaGen and HF JanusVQVAE
VQ_EPS = 1e-6


class JanusConfig:
    """The config.json (+ generation_config.json, preprocessor_config.json) values used."""

    def __init__(self, model_dir):
        with open(os.path.join(model_dir, "config.json")) as f:
            c = json.load(f)
        if c.get("model_type") != "janus":
            raise ValueError("%s: model_type is %r, not janus" % (model_dir, c.get("model_type")))
        self.raw = c
        self.image_token_id = c["image_token_id"]
        t = c["text_config"]
        self.vocab_size = t["vocab_size"]
        self.dim = t["hidden_size"]
        self.ffn = t["intermediate_size"]
        self.layers = t["num_hidden_layers"]
        self.heads = t["num_attention_heads"]
        self.kv_heads = t.get("num_key_value_heads") or self.heads
        self.head_dim = t.get("head_dim") or self.dim // self.heads
        self.rms_eps = t.get("rms_norm_eps", 1e-6)
        self.rope_theta = float(t.get("rope_theta", 10000.0))
        v = c["vision_config"]
        self.v_dim = v["hidden_size"]
        self.v_layers = v["num_hidden_layers"]
        self.v_heads = v["num_attention_heads"]
        self.patch = v["patch_size"]
        self.image_size = v["image_size"]
        self.v_ffn = int(self.v_dim * v.get("mlp_ratio", 4.0))
        self.v_eps = v.get("layer_norm_eps", 1e-6)
        self.aligner_depth = v.get("depth", 2)
        self.projection_dim = v.get("projection_dim", self.dim)
        if self.image_size % self.patch:
            raise ValueError("vision image_size %d is not a multiple of patch_size %d"
                             % (self.image_size, self.patch))
        self.grid = self.image_size // self.patch
        self.num_image_tokens = v.get("num_image_tokens", self.grid * self.grid)
        if self.num_image_tokens != self.grid * self.grid:
            raise ValueError("num_image_tokens %d != (image_size/patch_size)^2 = %d"
                             % (self.num_image_tokens, self.grid * self.grid))
        q = c["vq_config"]
        self.codes = q["num_embeddings"]
        self.embed_dim = q["embed_dim"]
        self.z_channels = q["latent_channels"]
        self.ch = q["base_channels"]
        self.ch_mult = list(q["channel_multiplier"])
        self.res_blocks = q["num_res_blocks"]
        self.gen_proj = q["projection_dim"]
        self.gen_token_embed = q["image_token_embed_dim"]
        self.gen_aligner_layers = q.get("num_hidden_layers", 2)
        self.vq_scale = 2 ** (len(self.ch_mult) - 1)
        gpath = os.path.join(model_dir, "generation_config.json")
        g = {}
        if os.path.exists(gpath):
            with open(gpath) as f:
                g = json.load(f)
        self.cfg_pad_id = g.get("pad_token_id")
        self.boi_id = g.get("generation_kwargs", {}).get("boi_token_id")
        self.guidance_scale = g.get("guidance_scale", 5)
        ppath = os.path.join(model_dir, "preprocessor_config.json")
        p = {}
        if os.path.exists(ppath):
            with open(ppath) as f:
                p = json.load(f)
        self.pp_size = p.get("size", {}).get("height", p.get("image_size", self.image_size))
        self.pp_min = p.get("min_size", 14)
        self.pp_mean = list(p.get("image_mean", [0.5, 0.5, 0.5]))
        self.pp_std = list(p.get("image_std", [0.5, 0.5, 0.5]))
        self.pp_rescale = p.get("rescale_factor", 1.0 / 255.0)


# ------------------------------------------------------------------ tensor inventory

def linear_shapes(name, out_f, in_f, bias=True):
    s = {name + ".weight": [out_f, in_f]}
    if bias:
        s[name + ".bias"] = [out_f]
    return s


def vq_resnet_shapes(p, cin, cout):
    s = {p + "norm1.weight": [cin], p + "norm1.bias": [cin],
         p + "conv1.weight": [cout, cin, 3, 3], p + "conv1.bias": [cout],
         p + "norm2.weight": [cout], p + "norm2.bias": [cout],
         p + "conv2.weight": [cout, cout, 3, 3], p + "conv2.bias": [cout]}
    if cin != cout:
        s[p + "nin_shortcut.weight"] = [cout, cin, 1, 1]
        s[p + "nin_shortcut.bias"] = [cout]
    return s


def vq_attn_shapes(p, c):
    s = {p + "norm.weight": [c], p + "norm.bias": [c]}
    for n in ("q", "k", "v", "proj_out"):
        s[p + n + ".weight"] = [c, c, 1, 1]
        s[p + n + ".bias"] = [c]
    return s


def vq_mid_shapes(p, c):
    s = vq_resnet_shapes(p + "block_1.", c, c)
    s.update(vq_attn_shapes(p + "attn_1.", c))
    s.update(vq_resnet_shapes(p + "block_2.", c, c))
    return s


def param_shapes(cfg):
    """Every tensor name of the HF layout with its shape (JANUS_SPEC.md §3)."""
    s = {}
    D, V = cfg.dim, cfg.vocab_size
    hq, hkv = cfg.heads * cfg.head_dim, cfg.kv_heads * cfg.head_dim
    s["lm_head.weight"] = [V, D]
    s[LM + "embed_tokens.weight"] = [V, D]
    s[LM + "norm.weight"] = [D]
    for i in range(cfg.layers):
        p = LM + "layers.%d." % i
        s[p + "input_layernorm.weight"] = [D]
        s[p + "post_attention_layernorm.weight"] = [D]
        s[p + "self_attn.q_proj.weight"] = [hq, D]
        s[p + "self_attn.k_proj.weight"] = [hkv, D]
        s[p + "self_attn.v_proj.weight"] = [hkv, D]
        s[p + "self_attn.o_proj.weight"] = [D, hq]
        s[p + "mlp.gate_proj.weight"] = [cfg.ffn, D]
        s[p + "mlp.up_proj.weight"] = [cfg.ffn, D]
        s[p + "mlp.down_proj.weight"] = [D, cfg.ffn]
    Hv = cfg.v_dim
    s[VIS + "embeddings.patch_embedding.weight"] = [Hv, 3, cfg.patch, cfg.patch]
    s[VIS + "embeddings.patch_embedding.bias"] = [Hv]
    s[VIS + "embeddings.position_embedding.weight"] = [cfg.num_image_tokens, Hv]
    for j in range(cfg.v_layers):
        p = VIS + "encoder.layers.%d." % j
        for n in ("layer_norm1", "layer_norm2"):
            s[p + n + ".weight"] = [Hv]
            s[p + n + ".bias"] = [Hv]
        for n in ("q_proj", "k_proj", "v_proj", "projection_layer"):
            s.update(linear_shapes(p + "self_attn." + n, Hv, Hv))
        s.update(linear_shapes(p + "mlp.fc1", cfg.v_ffn, Hv))
        s.update(linear_shapes(p + "mlp.fc2", Hv, cfg.v_ffn))
    s[VIS + "post_layernorm.weight"] = [Hv]
    s[VIS + "post_layernorm.bias"] = [Hv]
    s.update(linear_shapes("model.aligner.fc1", cfg.projection_dim, Hv))
    for k in range(cfg.aligner_depth - 1):
        s.update(linear_shapes("model.aligner.hidden_layers.%d" % k,
                               cfg.projection_dim, cfg.projection_dim))
    K, E, P = cfg.codes, cfg.embed_dim, cfg.gen_proj
    s["model.generation_embeddings.weight"] = [K, E]
    s.update(linear_shapes("model.generation_aligner.fc1", P, E))
    for k in range(cfg.gen_aligner_layers - 1):
        s.update(linear_shapes("model.generation_aligner.hidden_layers.%d" % k, P, P))
    s.update(linear_shapes("model.generation_head.proj_out", P, cfg.gen_token_embed))
    s.update(linear_shapes("model.generation_head.vision_head", K, P))
    s.update(vq_shapes(cfg))
    return s


def vq_shapes(cfg):
    s = {}
    L, C, R = len(cfg.ch_mult), cfg.ch, cfg.res_blocks
    chans = [C * m for m in cfg.ch_mult]
    e = VQ + "encoder."
    s[e + "conv_in.weight"] = [C, 3, 3, 3]
    s[e + "conv_in.bias"] = [C]
    cin = C
    for l in range(L):
        for b in range(R):
            s.update(vq_resnet_shapes(e + "down.%d.block.%d." % (l, b), cin, chans[l]))
            cin = chans[l]
            if l == L - 1:
                s.update(vq_attn_shapes(e + "down.%d.attn.%d." % (l, b), cin))
        if l != L - 1:
            s[e + "down.%d.downsample.conv.weight" % l] = [cin, cin, 3, 3]
            s[e + "down.%d.downsample.conv.bias" % l] = [cin]
    s.update(vq_mid_shapes(e + "mid.", cin))
    s[e + "norm_out.weight"] = [cin]
    s[e + "norm_out.bias"] = [cin]
    s[e + "conv_out.weight"] = [cfg.z_channels, cin, 3, 3]
    s[e + "conv_out.bias"] = [cfg.z_channels]
    s[VQ + "quant_conv.weight"] = [cfg.embed_dim, cfg.z_channels, 1, 1]
    s[VQ + "quant_conv.bias"] = [cfg.embed_dim]
    s[VQ + "quantize.embedding.weight"] = [cfg.codes, cfg.embed_dim]
    s[VQ + "post_quant_conv.weight"] = [cfg.z_channels, cfg.embed_dim, 1, 1]
    s[VQ + "post_quant_conv.bias"] = [cfg.z_channels]
    d = VQ + "decoder."
    cin = chans[-1]
    s[d + "conv_in.weight"] = [cin, cfg.z_channels, 3, 3]
    s[d + "conv_in.bias"] = [cin]
    s.update(vq_mid_shapes(d + "mid.", cin))
    for u in range(L):
        level = L - 1 - u
        for b in range(R + 1):
            s.update(vq_resnet_shapes(d + "up.%d.block.%d." % (u, b), cin, chans[level]))
            cin = chans[level]
            if u == 0:
                s.update(vq_attn_shapes(d + "up.%d.attn.%d." % (u, b), cin))
        if u != L - 1:
            s[d + "up.%d.upsample.conv.weight" % u] = [cin, cin, 3, 3]
            s[d + "up.%d.upsample.conv.bias" % u] = [cin]
    s[d + "norm_out.weight"] = [cin]
    s[d + "norm_out.bias"] = [cin]
    s[d + "conv_out.weight"] = [3, cin, 3, 3]
    s[d + "conv_out.bias"] = [3]
    return s


# ------------------------------------------------------------------ building blocks

def rms_norm(x, w, eps):
    return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps) * w


def rope(x, positions, theta):
    """Rotate-half RoPE on x [T, heads, hd]: dims i and i+hd/2 share angle pos*inv_freq[i]."""
    hd = x.shape[-1]
    half = hd // 2
    inv_freq = 1.0 / (theta ** (torch.arange(0, half, dtype=torch.float64) * 2.0 / hd))
    ang = positions.double()[:, None] * inv_freq[None, :]
    ang = torch.cat([ang, ang], dim=-1)[:, None, :]
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * torch.cos(ang) + rotated * torch.sin(ang)


def gelu(x):
    return F.gelu(x)  # exact erf form (nn.GELU() / ACT2FN["gelu"])


def swish(x):
    return x * torch.sigmoid(x)


class Janus:
    def __init__(self, model_dir):
        self.dir = model_dir
        self.cfg = JanusConfig(model_dir)
        self.w = load_float64(os.path.join(model_dir, "model.safetensors"))

    def lin(self, name, x):
        b = self.w.get(name + ".bias")
        return F.linear(x, self.w[name + ".weight"], b)

    # ---------------------------------------------------------------- LM
    def embed_ids(self, ids):
        return self.w[LM + "embed_tokens.weight"][torch.tensor(ids, dtype=torch.long)]

    def lm_hidden(self, x):
        """Final-norm hidden states [T, D] of one causal forward over embeddings x [T, D]."""
        c, w = self.cfg, self.w
        T = x.shape[0]
        pos = torch.arange(T)
        mask = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)
        group = c.heads // c.kv_heads
        h = x
        for i in range(c.layers):
            p = LM + "layers.%d." % i
            a = rms_norm(h, w[p + "input_layernorm.weight"], c.rms_eps)
            q = (a @ w[p + "self_attn.q_proj.weight"].T).view(T, c.heads, c.head_dim)
            k = (a @ w[p + "self_attn.k_proj.weight"].T).view(T, c.kv_heads, c.head_dim)
            v = (a @ w[p + "self_attn.v_proj.weight"].T).view(T, c.kv_heads, c.head_dim)
            q = rope(q, pos, c.rope_theta)
            k = rope(k, pos, c.rope_theta)
            k = k.repeat_interleave(group, dim=1)
            v = v.repeat_interleave(group, dim=1)
            s = torch.einsum("thd,shd->hts", q, k) / (c.head_dim ** 0.5) + mask
            o = torch.einsum("hts,shd->thd", torch.softmax(s, dim=-1), v).reshape(T, -1)
            h = h + o @ w[p + "self_attn.o_proj.weight"].T
            m = rms_norm(h, w[p + "post_attention_layernorm.weight"], c.rms_eps)
            g = m @ w[p + "mlp.gate_proj.weight"].T
            u = m @ w[p + "mlp.up_proj.weight"].T
            h = h + (F.silu(g) * u) @ w[p + "mlp.down_proj.weight"].T
        return rms_norm(h, w[LM + "norm.weight"], c.rms_eps)

    def text_logits(self, ids, image_features=None):
        """Logits [T, V] of every position; image_features [N, D] fill the placeholder run."""
        x = self.embed_ids(ids)
        if image_features is not None:
            where = [t for t, i in enumerate(ids) if i == self.cfg.image_token_id]
            if len(where) != image_features.shape[0]:
                raise ValueError("%d placeholders in ids, %d image features"
                                 % (len(where), image_features.shape[0]))
            x = x.clone()
            x[torch.tensor(where)] = image_features
        return self.lm_hidden(x) @ self.w["lm_head.weight"].T

    def greedy_text(self, ids, steps):
        out, margins = list(ids), []
        for _ in range(steps):
            last = self.text_logits(out)[-1]
            top = torch.topk(last, 2).values
            margins.append(float(top[0] - top[1]))
            out.append(int(torch.argmax(last)))
        return out[len(ids):], margins

    # ---------------------------------------------------------------- understanding
    strict_preprocess = False

    def preprocess(self, img):
        """PIL image -> (padded uint8 HxWx3 array, pixel_values [3, S, S] float64, info)."""
        c = self.cfg
        return janus_preprocess(img, c.pp_size, c.pp_min, c.pp_mean, c.pp_std, c.pp_rescale,
                                strict=self.strict_preprocess)

    def vision_hidden(self, pixels):
        """pixels [3, S, S] -> post_layernorm output [N, Hv]."""
        c, w = self.cfg, self.w
        x = F.conv2d(pixels[None], w[VIS + "embeddings.patch_embedding.weight"],
                     w[VIS + "embeddings.patch_embedding.bias"], stride=c.patch)
        x = x[0].flatten(1).T                                        # [N, Hv] raster order
        x = x + w[VIS + "embeddings.position_embedding.weight"]
        N, hd = x.shape[0], c.v_dim // c.v_heads
        for j in range(c.v_layers):
            p = VIS + "encoder.layers.%d." % j
            a = F.layer_norm(x, (c.v_dim,), w[p + "layer_norm1.weight"],
                             w[p + "layer_norm1.bias"], c.v_eps)
            q = self.lin(p + "self_attn.q_proj", a).view(N, c.v_heads, hd)
            k = self.lin(p + "self_attn.k_proj", a).view(N, c.v_heads, hd)
            v = self.lin(p + "self_attn.v_proj", a).view(N, c.v_heads, hd)
            s = torch.einsum("thd,shd->hts", q, k) / (hd ** 0.5)
            o = torch.einsum("hts,shd->thd", torch.softmax(s, dim=-1), v).reshape(N, -1)
            x = x + self.lin(p + "self_attn.projection_layer", o)
            m = F.layer_norm(x, (c.v_dim,), w[p + "layer_norm2.weight"],
                             w[p + "layer_norm2.bias"], c.v_eps)
            x = x + self.lin(p + "mlp.fc2", gelu(self.lin(p + "mlp.fc1", m)))
        return F.layer_norm(x, (c.v_dim,), w[VIS + "post_layernorm.weight"],
                            w[VIS + "post_layernorm.bias"], c.v_eps)

    def aligner(self, x):
        x = self.lin("model.aligner.fc1", x)
        for k in range(self.cfg.aligner_depth - 1):
            x = self.lin("model.aligner.hidden_layers.%d" % k, gelu(x))
        return x

    def image_features(self, pixels):
        return self.aligner(self.vision_hidden(pixels))

    # ---------------------------------------------------------------- generation
    def gen_input(self, code):
        x = self.w["model.generation_embeddings.weight"][code]
        x = self.lin("model.generation_aligner.fc1", x)
        for k in range(self.cfg.gen_aligner_layers - 1):
            x = self.lin("model.generation_aligner.hidden_layers.%d" % k, gelu(x))
        return x

    def gen_head(self, h):
        return self.lin("model.generation_head.vision_head",
                        gelu(self.lin("model.generation_head.proj_out", h)))

    def uncond_ids(self, prompt_ids):
        """Janus's unconditional row: every id except the first and the last -> CFG pad."""
        pad = self.cfg.cfg_pad_id
        return [prompt_ids[0]] + [pad] * (len(prompt_ids) - 2) + [prompt_ids[-1]]

    def generate_image_codes(self, prompt_ids, scale, steps=None):
        """Guided greedy codes. Each step re-runs the full causal forward of both rows."""
        steps = self.cfg.num_image_tokens if steps is None else steps
        rows = [self.embed_ids(prompt_ids), self.embed_ids(self.uncond_ids(prompt_ids))]
        codes, margins, first = [], [], None
        for _ in range(steps):
            lc = self.gen_head(self.lm_hidden(rows[0])[-1])
            lu = self.gen_head(self.lm_hidden(rows[1])[-1])
            if first is None:
                first = torch.stack([lc, lu])
            mixed = lu + scale * (lc - lu)
            top = torch.topk(mixed, 2).values
            margins.append(float(top[0] - top[1]))
            code = int(torch.argmax(mixed))
            codes.append(code)
            e = self.gen_input(code)[None]
            rows = [torch.cat([r, e]) for r in rows]
        return codes, margins, first

    # ---------------------------------------------------------------- VQ-16
    def gn(self, name, x):
        return F.group_norm(x, VQ_GROUPS, self.w[name + ".weight"], self.w[name + ".bias"], VQ_EPS)

    def conv(self, name, x, padding=1, stride=1):
        return F.conv2d(x, self.w[name + ".weight"], self.w[name + ".bias"],
                        stride=stride, padding=padding)

    def resnet(self, p, x):
        h = self.conv(p + "conv1", swish(self.gn(p + "norm1", x)))
        h = self.conv(p + "conv2", swish(self.gn(p + "norm2", h)))
        if (p + "nin_shortcut.weight") in self.w:
            x = self.conv(p + "nin_shortcut", x, padding=0)
        return x + h

    def attn(self, p, x):
        h = self.gn(p + "norm", x)
        q = self.conv(p + "q", h, padding=0)
        k = self.conv(p + "k", h, padding=0)
        v = self.conv(p + "v", h, padding=0)
        b, c, hh, ww = q.shape
        q = q.reshape(b, c, hh * ww).permute(0, 2, 1)                 # [b, hw, c]
        k = k.reshape(b, c, hh * ww)                                 # [b, c, hw]
        a = torch.softmax(torch.bmm(q, k) * (c ** -0.5), dim=2)       # [b, hw_q, hw_k]
        v = v.reshape(b, c, hh * ww)
        o = torch.bmm(v, a.permute(0, 2, 1)).reshape(b, c, hh, ww)
        return x + self.conv(p + "proj_out", o, padding=0)

    def mid(self, p, x):
        return self.resnet(p + "block_2.", self.attn(p + "attn_1.", self.resnet(p + "block_1.", x)))

    def vq_encode_latent(self, pixels):
        """pixels [3, S, S] -> quant_conv output [E, g, g] (not normalised)."""
        c, e = self.cfg, VQ + "encoder."
        L = len(c.ch_mult)
        x = self.conv(e + "conv_in", pixels[None])
        for l in range(L):
            for b in range(c.res_blocks):
                x = self.resnet(e + "down.%d.block.%d." % (l, b), x)
                if l == L - 1:
                    x = self.attn(e + "down.%d.attn.%d." % (l, b), x)
            if l != L - 1:
                x = self.conv(e + "down.%d.downsample.conv" % l, F.pad(x, (0, 1, 0, 1)),
                              padding=0, stride=2)
        x = self.mid(e + "mid.", x)
        x = self.conv(e + "conv_out", swish(self.gn(e + "norm_out", x)))
        return self.conv(VQ + "quant_conv", x, padding=0)[0]

    def vq_quantize(self, latent):
        """latent [E, h, w] -> (codes raster order, best-minus-second cosine per code)."""
        z = F.normalize(latent.flatten(1).T, p=2, dim=-1)               # [hw, E]
        book = F.normalize(self.w[VQ + "quantize.embedding.weight"], p=2, dim=-1)
        d = (z * z).sum(1, keepdim=True) + (book * book).sum(1)[None] - 2 * z @ book.T
        codes = torch.argmin(d, dim=1)
        cos = z @ book.T
        top = torch.topk(cos, 2, dim=1).values
        return [int(i) for i in codes], [float(g) for g in (top[:, 0] - top[:, 1])]

    def vq_decode(self, codes, rows=None, cols=None):
        """codes (raster order) -> pixels [3, rows*f, cols*f] before clamping."""
        c, d = self.cfg, VQ + "decoder."
        rows = c.grid if rows is None else rows
        cols = c.grid if cols is None else cols
        L = len(c.ch_mult)
        book = self.w[VQ + "quantize.embedding.weight"]
        z = F.normalize(book[torch.tensor(codes, dtype=torch.long)], p=2, dim=-1)
        z = z.T.reshape(1, c.embed_dim, rows, cols)
        x = self.conv(VQ + "post_quant_conv", z, padding=0)
        x = self.conv(d + "conv_in", x)
        x = self.mid(d + "mid.", x)
        for u in range(L):
            for b in range(c.res_blocks + 1):
                x = self.resnet(d + "up.%d.block.%d." % (u, b), x)
                if u == 0:
                    x = self.attn(d + "up.%d.attn.%d." % (u, b), x)
            if u != L - 1:
                x = self.conv(d + "up.%d.upsample.conv" % u,
                              F.interpolate(x, scale_factor=2.0, mode="nearest"))
        x = self.conv(d + "conv_out", swish(self.gn(d + "norm_out", x)))
        return x[0]


def janus_preprocess(img, size, min_size, mean, std, rescale, strict=False):
    """Janus image processor: resize the longest side to size (PIL bicubic), pad to a square
    with int(mean*255), rescale, normalise. Returns (uint8 [S,S,3], float64 [3,S,S], info).

    Sizes follow the original VLMImageProcessor, int(x / L * size), which always gives the long
    side exactly size. HF's int(x * (size / L)) gives size - 1 for some L (47, 588 at 384), then
    pads to a non-size square; strict=True refuses images where the two formulas disagree."""
    img = img.convert("RGB")
    w, h = img.size
    longest = max(w, h)
    nh = max(int(h / longest * size), min_size)
    nw = max(int(w / longest * size), min_size)
    if strict and (nh, nw) != (max(int(h * (size / longest)), min_size),
                               max(int(w * (size / longest)), min_size)):
        raise ValueError("image %dx%d: HF and original resize sizes differ; pick another" % (w, h))
    resized = img.resize((nw, nh), Image.BICUBIC) if (nw, nh) != (w, h) else img.copy()
    background = tuple(int(m * 255) for m in mean)
    side = max(nw, nh)
    canvas = Image.new("RGB", (side, side), background)
    off = ((side - nw) // 2, (side - nh) // 2)
    canvas.paste(resized, off)
    arr = np.asarray(canvas, dtype=np.uint8)
    x = torch.from_numpy(arr.astype(np.float64)).permute(2, 0, 1) * rescale
    x = (x - torch.tensor(mean, dtype=torch.float64)[:, None, None]) \
        / torch.tensor(std, dtype=torch.float64)[:, None, None]
    info = {"resized_size": [nw, nh], "paste_offset": list(off), "background": list(background)}
    return arr, x, info


def pixels_to_uint8(x):
    """Decoder output [3, H, W] in about [-1, 1] -> uint8 [H, W, 3] (truncating, as Janus)."""
    a = np.clip((x.permute(1, 2, 0).numpy() + 1.0) / 2.0 * 255.0, 0, 255)
    return a.astype(np.uint8)


def main():
    ap = argparse.ArgumentParser(description="float64 Janus-Pro reference (JANUS_SPEC.md)")
    ap.add_argument("--model", required=True, help="HF-layout checkpoint directory")
    sub = ap.add_subparsers(dest="cmd", required=True)
    lg = sub.add_parser("logits", help="text logits of --ids, float32 [n, V] to --out")
    lg.add_argument("--ids", required=True, help="comma-separated ids")
    lg.add_argument("--image", help="image whose features fill the <image_placeholder> run")
    lg.add_argument("--out", required=True)
    gn = sub.add_parser("generate", help="guided greedy codes for --ids (BOS ... <begin_of_image>)")
    gn.add_argument("--ids", required=True)
    gn.add_argument("--cfg-scale", type=float)
    en = sub.add_parser("vq-encode", help="codes of --image")
    en.add_argument("--image", required=True)
    de = sub.add_parser("vq-decode", help="PNG of whitespace-separated codes in --codes")
    de.add_argument("--codes", required=True)
    de.add_argument("-o", "--out", required=True)
    de.add_argument("--f32", help="also write the raw float32 [3, H, W] decoder output here")
    args = ap.parse_args()
    torch.set_num_threads(1)
    m = Janus(args.model)
    if args.cmd == "logits":
        ids = [int(v) for v in args.ids.split(",")]
        feats = None
        if args.image:
            feats = m.image_features(m.preprocess(Image.open(args.image))[1])
        m.text_logits(ids, feats).numpy().astype("<f4").tofile(args.out)
    elif args.cmd == "generate":
        ids = [int(v) for v in args.ids.split(",")]
        scale = m.cfg.guidance_scale if args.cfg_scale is None else args.cfg_scale
        codes, margins, _ = m.generate_image_codes(ids, scale)
        print(" ".join(str(c) for c in codes))
        print("min margin %.4g" % min(margins), file=sys.stderr)
    elif args.cmd == "vq-encode":
        codes, _ = m.vq_quantize(m.vq_encode_latent(m.preprocess(Image.open(args.image))[1]))
        print(" ".join(str(c) for c in codes))
    else:
        with open(args.codes) as f:
            codes = [int(v) for v in f.read().split()]
        pix = m.vq_decode(codes)
        Image.fromarray(pixels_to_uint8(pix), "RGB").save(args.out)
        if args.f32:
            pix.numpy().astype("<f4").tofile(args.f32)


if __name__ == "__main__":
    main()
