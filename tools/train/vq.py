"""Tiny VQ-GAN image tokenizer of the taming-transformers architecture.

Module and tensor names are exactly those of model-families.md §A.3 (encoder.*,
decoder.*, quant_conv, quantize.embedding, post_quant_conv), so the exported
state dict under `model.vqmodel.` runs unchanged in the Go runtime's VQ-GAN.

Training shortcut (why no GAN is needed): the world's images are built from
8x8 cells aligned with the 4x4-pixel token patches, so an image is a grid of a
finite set of distinct patches. Each distinct patch gets its own code (the
codebook has exactly one entry per patch). The encoder is trained with a
cross-entropy over negative squared distances to the codebook (so the nearest
entry, which the runtime picks, is the patch's code) plus an L2 pull towards it,
and the decoder is trained with L2 to rebuild the pixels from the codebook
entries. The result reconstructs every world image exactly after rounding.
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import world as W

PATCH = 4  # pixels per token side (two stride-2 downsamples)


def vq_config(num_embeddings):
    return {"embed_dim": 32, "num_embeddings": num_embeddings, "latent_channels": 32,
            "double_latent": False, "resolution": W.SIZE, "in_channels": 3, "out_channels": 3,
            "base_channels": 16, "channel_multiplier": [1, 2, 2], "num_res_blocks": 1,
            "attn_resolutions": [], "dropout": 0.0, "norm_num_groups": 8}


def norm(c, groups):
    return nn.GroupNorm(groups, c, eps=1e-6, affine=True)


def swish(x):
    return x * torch.sigmoid(x)


class ResnetBlock(nn.Module):
    def __init__(self, cin, cout, g):
        super().__init__()
        self.norm1 = norm(cin, g)
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.norm2 = norm(cout, g)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        if cin != cout:
            self.nin_shortcut = nn.Conv2d(cin, cout, 1)

    def forward(self, x):
        h = self.conv1(swish(self.norm1(x)))
        h = self.conv2(swish(self.norm2(h)))
        if hasattr(self, "nin_shortcut"):
            x = self.nin_shortcut(x)
        return x + h


class AttnBlock(nn.Module):
    def __init__(self, c, g):
        super().__init__()
        self.norm = norm(c, g)
        self.q, self.k, self.v, self.proj_out = (nn.Conv2d(c, c, 1) for _ in range(4))

    def forward(self, x):
        n, c, hh, ww = x.shape
        h = self.norm(x)
        q = self.q(h).reshape(n, c, -1)
        k = self.k(h).reshape(n, c, -1)
        v = self.v(h).reshape(n, c, -1)
        w = torch.softmax(torch.einsum("nci,ncj->nij", q, k) / math.sqrt(c), -1)
        return x + self.proj_out(torch.einsum("nij,ncj->nci", w, v).reshape(n, c, hh, ww))


class Downsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 2, 0)

    def forward(self, x):
        return self.conv(F.pad(x, (0, 1, 0, 1)))


class Upsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 1, 1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class Level(nn.Module):
    pass


class Mid(nn.Module):
    def __init__(self, c, g):
        super().__init__()
        self.block_1, self.attn_1, self.block_2 = ResnetBlock(c, c, g), AttnBlock(c, g), ResnetBlock(c, c, g)

    def forward(self, x):
        return self.block_2(self.attn_1(self.block_1(x)))


class Encoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ch, mult, g, nrb = cfg["base_channels"], cfg["channel_multiplier"], cfg["norm_num_groups"], cfg["num_res_blocks"]
        self.conv_in = nn.Conv2d(cfg["in_channels"], ch, 3, 1, 1)
        self.down = nn.ModuleList()
        cin = ch
        for i, m in enumerate(mult):
            lv = Level()
            lv.block = nn.ModuleList()
            lv.attn = nn.ModuleList()
            for _ in range(nrb):
                lv.block.append(ResnetBlock(cin, ch * m, g))
                cin = ch * m
            if i != len(mult) - 1:
                lv.downsample = Downsample(cin)
            self.down.append(lv)
        self.mid = Mid(cin, g)
        self.norm_out = norm(cin, g)
        self.conv_out = nn.Conv2d(cin, cfg["latent_channels"], 3, 1, 1)

    def forward(self, x):
        h = self.conv_in(x)
        for lv in self.down:
            for b in lv.block:
                h = b(h)
            if hasattr(lv, "downsample"):
                h = lv.downsample(h)
        h = self.mid(h)
        return self.conv_out(swish(self.norm_out(h)))


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ch, mult, g, nrb = cfg["base_channels"], cfg["channel_multiplier"], cfg["norm_num_groups"], cfg["num_res_blocks"]
        cin = ch * mult[-1]
        self.conv_in = nn.Conv2d(cfg["latent_channels"], cin, 3, 1, 1)
        self.mid = Mid(cin, g)
        ups = []
        for i in reversed(range(len(mult))):
            lv = Level()
            lv.block = nn.ModuleList()
            lv.attn = nn.ModuleList()
            for _ in range(nrb + 1):
                lv.block.append(ResnetBlock(cin, ch * mult[i], g))
                cin = ch * mult[i]
            if i != 0:
                lv.upsample = Upsample(cin)
            ups.insert(0, lv)
        self.up = nn.ModuleList(ups)
        self.norm_out = norm(cin, g)
        self.conv_out = nn.Conv2d(cin, cfg["out_channels"], 3, 1, 1)

    def forward(self, z):
        h = self.mid(self.conv_in(z))
        for lv in reversed(self.up):
            for b in lv.block:
                h = b(h)
            if hasattr(lv, "upsample"):
                h = lv.upsample(h)
        return self.conv_out(swish(self.norm_out(h)))


class Quantize(nn.Module):
    def __init__(self, k, d):
        super().__init__()
        self.embedding = nn.Embedding(k, d)
        nn.init.normal_(self.embedding.weight, std=1.0)


class VQModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)
        self.quant_conv = nn.Conv2d(cfg["latent_channels"], cfg["embed_dim"], 1)
        self.quantize = Quantize(cfg["num_embeddings"], cfg["embed_dim"])
        self.post_quant_conv = nn.Conv2d(cfg["embed_dim"], cfg["latent_channels"], 1)

    def latent(self, x):
        return self.quant_conv(self.encoder(x))

    def dist(self, z):
        """z [N, C, h, w] -> squared distances [N, h*w, K] (raster order)."""
        flat = z.permute(0, 2, 3, 1).reshape(z.shape[0], -1, z.shape[1])
        e = self.quantize.embedding.weight
        return (flat * flat).sum(-1, keepdim=True) - 2 * flat @ e.t() + (e * e).sum(-1)[None, None]

    def encode(self, x):
        return self.dist(self.latent(x)).argmin(-1)

    def decode(self, codes, side):
        z = self.quantize.embedding(codes).reshape(codes.shape[0], side, side, -1).permute(0, 3, 1, 2)
        return self.decoder(self.post_quant_conv(z))


# ---------------------------------------------------------------- patches

def _patch(bg, mask=None, col=None):
    p = np.zeros((PATCH, PATCH, 3), np.uint8)
    p[:, :] = W.BACKGROUNDS[bg]
    if mask is not None:
        p[mask] = W.COLORS[col]
    return p.tobytes()


def _masks_by_quadrant():
    """{(row % 2, col % 2) of a token in its grid cell: sorted foreground masks
    that the object templates put there}."""
    out = {}
    for m in W.TEMPLATES.values():
        for r in range(0, W.CELL, PATCH):
            for c in range(0, W.CELL, PATCH):
                q = m[r:r + PATCH, c:c + PATCH]
                if q.any():
                    out.setdefault((r // PATCH, c // PATCH), set()).add(q.tobytes())
    return {k: sorted(v) for k, v in out.items()}


def _add_patches(table, masks, key):
    for mb in masks:
        m = np.frombuffer(mb, bool).reshape(PATCH, PATCH)
        for col in W.COLOR_NAMES:
            for bg in W.BG_NAMES:
                table.setdefault(key(_patch(bg, m, col)), len(table))  # full masks repeat per background


def patch_table(positional=False):
    """Every distinct 4x4 patch of the world -> code. Order: plain background
    patches, then (mask, colour, background) with masks sorted by their bytes.

    With positional, the key is (token place in raster order, patch bytes):
    the same patch at two places of the 6x6 token grid has two codes. A
    picture token then says where it is, which RoPE alone tells a small
    transformer only by counting: where an object is, what is at a place, and
    which source token an edited picture copies become lookups of one token
    (tools/train/README.md, run s7). Only the patches that can occur at a
    place get a code there (8,496 codes instead of 908)."""
    table = {}
    if not positional:
        for bg in W.BG_NAMES:
            table[_patch(bg)] = len(table)
        every = sorted({mb for ms in _masks_by_quadrant().values() for mb in ms})
        _add_patches(table, every, lambda p: p)
        return table
    side = W.SIZE // PATCH
    by_quadrant = _masks_by_quadrant()
    for place in range(side * side):
        for bg in W.BG_NAMES:
            table[(place, _patch(bg))] = len(table)
    for place in range(side * side):
        r, c = divmod(place, side)
        q = ((r * PATCH) % W.CELL // PATCH, (c * PATCH) % W.CELL // PATCH)
        _add_patches(table, by_quadrant.get(q, []), lambda p, place=place: (place, p))
    return table


def is_positional(table):
    return isinstance(next(iter(table)), tuple)


def patch_codes(img, table):
    side = W.SIZE // PATCH
    positional = is_positional(table)
    out = np.zeros(side * side, np.int64)
    for r in range(side):
        for c in range(side):
            p = img[r * PATCH:(r + 1) * PATCH, c * PATCH:(c + 1) * PATCH].tobytes()
            out[r * side + c] = table[(r * side + c, p) if positional else p]
    return out


def to_input(imgs):
    """uint8 [N, H, W, 3] -> float [N, 3, H, W] in [-1, 1] (p/127.5 - 1, as the runtime)."""
    return torch.from_numpy(np.asarray(imgs, np.float32) / 127.5 - 1.0).permute(0, 3, 1, 2).contiguous()


def to_pixels(x):
    """decoder output [N, 3, H, W] -> uint8 [N, H, W, 3] (clamp, (x+1)*127.5, round)."""
    return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
