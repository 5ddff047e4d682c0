"""Float64 reference of the Chameleon VQ-GAN (taming-transformers VQModel).

Written from model-families.md §A.3/§A.6/§A.7: encoder, quant_conv, nearest codebook entry
by squared L2, post_quant_conv, decoder. Tensors are looked up under model.vqmodel. and
upcast to float64; `param_shapes` lists every tensor the architecture needs (the fixture
generator uses it to draw random weights).
"""
import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

PREFIX = "model.vqmodel."
GROUPNORM_EPS = 1e-6


class VQConfig:
    """vq_config in either spelling (HF or taming), with the 7B defaults."""

    def __init__(self, vq):
        def get(hf, taming, default):
            if hf in vq:
                return vq[hf]
            if taming is not None and taming in vq:
                return vq[taming]
            return default
        self.embed_dim = get("embed_dim", None, 256)
        self.num_embeddings = get("num_embeddings", "n_embed", 8192)
        self.z_channels = get("latent_channels", "z_channels", 256)
        self.double_z = bool(get("double_latent", "double_z", False))
        self.resolution = get("resolution", None, 512)
        self.in_channels = get("in_channels", None, 3)
        self.out_channels = get("out_channels", "out_ch", 3)
        self.ch = get("base_channels", "ch", 128)
        self.ch_mult = list(get("channel_multiplier", "ch_mult", [1, 1, 2, 2, 4]))
        self.num_res_blocks = get("num_res_blocks", None, 2)
        self.attn_resolutions = list(get("attn_resolutions", None, []) or [])
        self.groups = get("norm_num_groups", None, 32)
        if self.double_z:
            # quant_conv takes z_channels inputs, so a doubled encoder output cannot feed it.
            raise ValueError("double_latent/double_z true is not a valid VQModel config")


# ---------------------------------------------------------------- architecture walk

def resnet_shapes(p, cin, cout):
    s = {p + "norm1.weight": [cin], p + "norm1.bias": [cin],
         p + "conv1.weight": [cout, cin, 3, 3], p + "conv1.bias": [cout],
         p + "norm2.weight": [cout], p + "norm2.bias": [cout],
         p + "conv2.weight": [cout, cout, 3, 3], p + "conv2.bias": [cout]}
    if cin != cout:
        s[p + "nin_shortcut.weight"] = [cout, cin, 1, 1]
        s[p + "nin_shortcut.bias"] = [cout]
    return s


def attn_shapes(p, c):
    s = {p + "norm.weight": [c], p + "norm.bias": [c]}
    for conv in ("q", "k", "v", "proj_out"):
        s[p + conv + ".weight"] = [c, c, 1, 1]
        s[p + conv + ".bias"] = [c]
    return s


def encoder_plan(cfg):
    """List of (level, block, cin, cout, has_attn) plus downsample levels, encoder order."""
    in_mult = [1] + cfg.ch_mult
    res = cfg.resolution
    blocks, downs = [], []
    for level in range(len(cfg.ch_mult)):
        cin, cout = cfg.ch * in_mult[level], cfg.ch * cfg.ch_mult[level]
        for b in range(cfg.num_res_blocks):
            blocks.append((level, b, cin, cout, res in cfg.attn_resolutions))
            cin = cout
        if level != len(cfg.ch_mult) - 1:
            downs.append((level, cout))
            res //= 2
    return blocks, downs


def decoder_plan(cfg):
    """List of (level, block, cin, cout, has_attn) in execution order and upsample levels."""
    levels = len(cfg.ch_mult)
    cin = cfg.ch * cfg.ch_mult[-1]
    res = cfg.resolution // 2 ** (levels - 1)
    blocks, ups = [], []
    for level in reversed(range(levels)):
        cout = cfg.ch * cfg.ch_mult[level]
        for b in range(cfg.num_res_blocks + 1):
            blocks.append((level, b, cin, cout, res in cfg.attn_resolutions))
            cin = cout
        if level != 0:
            ups.append((level, cout))
            res *= 2
    return blocks, ups


def param_shapes(cfg, with_decoder):
    s = {}
    e = PREFIX + "encoder."
    s[e + "conv_in.weight"] = [cfg.ch, cfg.in_channels, 3, 3]
    s[e + "conv_in.bias"] = [cfg.ch]
    blocks, downs = encoder_plan(cfg)
    for level, b, cin, cout, attn in blocks:
        s.update(resnet_shapes(e + "down.%d.block.%d." % (level, b), cin, cout))
        if attn:
            s.update(attn_shapes(e + "down.%d.attn.%d." % (level, b), cout))
    for level, c in downs:
        s[e + "down.%d.downsample.conv.weight" % level] = [c, c, 3, 3]
        s[e + "down.%d.downsample.conv.bias" % level] = [c]
    top = cfg.ch * cfg.ch_mult[-1]
    s.update(resnet_shapes(e + "mid.block_1.", top, top))
    s.update(attn_shapes(e + "mid.attn_1.", top))
    s.update(resnet_shapes(e + "mid.block_2.", top, top))
    s[e + "norm_out.weight"] = [top]
    s[e + "norm_out.bias"] = [top]
    zc = cfg.z_channels * (2 if cfg.double_z else 1)
    s[e + "conv_out.weight"] = [zc, top, 3, 3]
    s[e + "conv_out.bias"] = [zc]
    s[PREFIX + "quant_conv.weight"] = [cfg.embed_dim, cfg.z_channels, 1, 1]
    s[PREFIX + "quant_conv.bias"] = [cfg.embed_dim]
    s[PREFIX + "quantize.embedding.weight"] = [cfg.num_embeddings, cfg.embed_dim]
    s[PREFIX + "post_quant_conv.weight"] = [cfg.z_channels, cfg.embed_dim, 1, 1]
    s[PREFIX + "post_quant_conv.bias"] = [cfg.z_channels]
    if not with_decoder:
        return s
    d = PREFIX + "decoder."
    s[d + "conv_in.weight"] = [top, cfg.z_channels, 3, 3]
    s[d + "conv_in.bias"] = [top]
    s.update(resnet_shapes(d + "mid.block_1.", top, top))
    s.update(attn_shapes(d + "mid.attn_1.", top))
    s.update(resnet_shapes(d + "mid.block_2.", top, top))
    blocks, ups = decoder_plan(cfg)
    for level, b, cin, cout, attn in blocks:
        s.update(resnet_shapes(d + "up.%d.block.%d." % (level, b), cin, cout))
        if attn:
            s.update(attn_shapes(d + "up.%d.attn.%d." % (level, b), cout))
    for level, c in ups:
        s[d + "up.%d.upsample.conv.weight" % level] = [c, c, 3, 3]
        s[d + "up.%d.upsample.conv.bias" % level] = [c]
    base = cfg.ch * cfg.ch_mult[0]
    s[d + "norm_out.weight"] = [base]
    s[d + "norm_out.bias"] = [base]
    s[d + "conv_out.weight"] = [cfg.out_channels, base, 3, 3]
    s[d + "conv_out.bias"] = [cfg.out_channels]
    return s


# ---------------------------------------------------------------- forward

class VQModel:
    def __init__(self, cfg, weights):
        self.cfg = cfg
        self.w = weights  # name -> float64 tensor

    def conv(self, name, x, stride=1, padding=1):
        return F.conv2d(x, self.w[name + ".weight"], self.w[name + ".bias"], stride=stride, padding=padding)

    def norm(self, name, x):
        return F.group_norm(x, self.cfg.groups, self.w[name + ".weight"], self.w[name + ".bias"],
                            eps=GROUPNORM_EPS)

    @staticmethod
    def swish(x):
        return x * torch.sigmoid(x)

    def resnet(self, p, x):
        h = self.conv(p + "conv1", self.swish(self.norm(p + "norm1", x)))
        h = self.conv(p + "conv2", self.swish(self.norm(p + "norm2", h)))  # dropout: identity
        if p + "nin_shortcut.weight" in self.w:
            x = self.conv(p + "nin_shortcut", x, padding=0)
        return x + h

    def attn(self, p, x):
        n, c, hh, ww = x.shape
        h = self.norm(p + "norm", x)
        q = self.conv(p + "q", h, padding=0).reshape(n, c, hh * ww)
        k = self.conv(p + "k", h, padding=0).reshape(n, c, hh * ww)
        v = self.conv(p + "v", h, padding=0).reshape(n, c, hh * ww)
        scores = torch.einsum("nci,ncj->nij", q, k) / math.sqrt(c)
        probs = torch.softmax(scores, dim=-1)             # over key positions j
        out = torch.einsum("nij,ncj->nci", probs, v).reshape(n, c, hh, ww)
        return x + self.conv(p + "proj_out", out, padding=0)

    def mid(self, p, h):
        h = self.resnet(p + "mid.block_1.", h)
        h = self.attn(p + "mid.attn_1.", h)
        return self.resnet(p + "mid.block_2.", h)

    def encode_latent(self, x):
        """x [1, 3, R, R] in [-1, 1] -> quant_conv output [1, embed_dim, R/2^(L-1), ...]."""
        e = PREFIX + "encoder."
        h = self.conv(e + "conv_in", x)
        blocks, downs = encoder_plan(self.cfg)
        down_levels = dict(downs)
        for i, (level, b, _, _, attn) in enumerate(blocks):
            h = self.resnet(e + "down.%d.block.%d." % (level, b), h)
            if attn:
                h = self.attn(e + "down.%d.attn.%d." % (level, b), h)
            last_of_level = i + 1 == len(blocks) or blocks[i + 1][0] != level
            if last_of_level and level in down_levels:
                h = F.pad(h, (0, 1, 0, 1))  # right and bottom by one, zeros
                h = self.conv(e + "down.%d.downsample.conv" % level, h, stride=2, padding=0)
        h = self.mid(e, h)
        h = self.conv(e + "conv_out", self.swish(self.norm(e + "norm_out", h)))
        return self.conv(PREFIX + "quant_conv", h, padding=0)

    def quantize(self, z):
        """z [1, C, h, w] -> codes [h*w] raster order, squared distances to best and 2nd best."""
        emb = self.w[PREFIX + "quantize.embedding.weight"]       # [K, C]
        flat = z[0].permute(1, 2, 0).reshape(-1, z.shape[1])     # [h*w, C] raster order
        d = ((flat[:, None, :] - emb[None, :, :]) ** 2).sum(-1)  # [h*w, K]
        best = torch.topk(d, 2, dim=-1, largest=False)
        return best.indices[:, 0], best.values[:, 0], best.values[:, 1]

    def decode_codes(self, codes, rows, cols):
        """codes (raster order) -> pixels [3, 8*rows..., ...] before clamping."""
        emb = self.w[PREFIX + "quantize.embedding.weight"]
        z = emb[torch.tensor(codes, dtype=torch.long)].reshape(1, rows, cols, -1).permute(0, 3, 1, 2)
        h = self.conv(PREFIX + "post_quant_conv", z, padding=0)
        d = PREFIX + "decoder."
        h = self.conv(d + "conv_in", h)
        h = self.mid(d, h)
        blocks, ups = decoder_plan(self.cfg)
        up_levels = dict(ups)
        for i, (level, b, _, _, attn) in enumerate(blocks):
            h = self.resnet(d + "up.%d.block.%d." % (level, b), h)
            if attn:
                h = self.attn(d + "up.%d.attn.%d." % (level, b), h)
            last_of_level = i + 1 == len(blocks) or blocks[i + 1][0] != level
            if last_of_level and level in up_levels:
                h = F.interpolate(h, scale_factor=2.0, mode="nearest")
                h = self.conv(d + "up.%d.upsample.conv" % level, h)
        h = self.conv(d + "conv_out", self.swish(self.norm(d + "norm_out", h)))
        return h[0]


# ---------------------------------------------------------------- preprocessing

def preprocess(path, resolution):
    """Meta/Anole encode preprocessing (model-families.md §A.6).

    Alpha is blended on white and truncated to uint8; short side resized to `resolution`
    with PIL LANCZOS (new size = round(w*scale), round(h*scale)); centre crop with offset
    (size-resolution)//2; x = p/255*2-1. Returns float32 numpy [3, R, R]."""
    img = Image.open(path)
    img.load()
    if img.mode != "RGB":
        rgba = np.array(img.convert("RGBA")).astype(np.float64)
        if (rgba[:, :, 3] < 255).any():
            alpha = rgba[:, :, 3:4] / 255.0
            rgb = (1 - alpha) * 255 + alpha * rgba[:, :, :3]
            img = Image.fromarray(rgb.astype(np.uint8), "RGB")
        else:
            img = img.convert("RGB")
    scale = resolution / min(img.size)
    new_size = (round(scale * img.size[0]), round(scale * img.size[1]))
    img = img.resize(new_size, Image.LANCZOS)
    x0 = (img.width - resolution) // 2
    y0 = (img.height - resolution) // 2
    img = img.crop((x0, y0, x0 + resolution, y0 + resolution))
    pixels = np.array(img).astype(np.float64)
    x = pixels / 255.0 * 2.0 - 1.0
    return x.transpose(2, 0, 1).astype(np.float32), {"resized_size": list(new_size), "crop_offset": [x0, y0]}
