"""Tiny random VQ-GAN checkpoints plus float64 expected encode/decode outputs.

Writes testdata/ref/vq-image.png (48x40 RGBA test picture) and, per fixture NAME,
testdata/ref/NAME/{config.json, model.safetensors, expected.json, input.f32, latent.f32,
decoded*.f32}. config.json holds only model_type "chameleon_vq" and vq_config; tensors are
F32 under model.vqmodel.*. The reference reads the weights back from the file.

    /usr/bin/python3 tools/reference/make_vq_fixtures.py [--out testdata/ref]
"""
import argparse
import json
import math
import os

import numpy as np
import torch
from PIL import Image

from safetensors_io import load_float64, write_safetensors
from vq_ref import VQConfig, VQModel, param_shapes, preprocess

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# name: (seed, vq_config as written to config.json, has decoder, decode grids [(rows, cols)])
FIXTURES = {
    "vq-anole": (201, {
        "model_type": "chameleon_vqgan", "embed_dim": 16, "num_embeddings": 64,
        "latent_channels": 16, "double_latent": False, "resolution": 32, "in_channels": 3,
        "out_channels": 3, "base_channels": 16, "channel_multiplier": [1, 2, 2],
        "num_res_blocks": 1, "attn_resolutions": [8], "attn_type": "vanilla", "dropout": 0.0,
        "norm_num_groups": 8}, True, [(8, 8)]),
    "vq-facebook": (202, {
        # no norm_num_groups: exercises the default of 32 groups
        "model_type": "chameleon_vqgan", "embed_dim": 16, "num_embeddings": 64,
        "latent_channels": 16, "double_latent": False, "resolution": 16, "in_channels": 3,
        "out_channels": 3, "base_channels": 32, "channel_multiplier": [1, 2],
        "num_res_blocks": 1, "attn_resolutions": [], "attn_type": "vanilla", "dropout": 0.0},
        False, []),
    "vq-lumina": (203, {
        # taming spelling; z_channels != embed_dim
        "embed_dim": 16, "n_embed": 64, "z_channels": 24, "double_z": False,
        "resolution": 32, "in_channels": 3, "out_ch": 3, "ch": 16, "ch_mult": [1, 2, 2],
        "num_res_blocks": 2, "attn_resolutions": [16], "dropout": 0.0, "norm_num_groups": 8},
        True, [(8, 8), (6, 4)]),
}


def make_test_image(path):
    """48x40 RGBA: colour gradients, a disc, a bar; alpha 255 / 128 / 0 regions."""
    w, h = 48, 40
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    rgba = np.zeros((h, w, 4), dtype=np.uint8)
    rgba[..., 0] = np.clip(255 * x / (w - 1), 0, 255)
    rgba[..., 1] = np.clip(255 * y / (h - 1), 0, 255)
    rgba[..., 2] = 128 + 100 * np.sin(x / 5.0) * np.cos(y / 7.0)
    disc = (x - 30) ** 2 + (y - 18) ** 2 < 11 ** 2
    rgba[disc] = [250, 40, 30, 255]
    bar = (y > 26) & (y < 33) & (x > 4) & (x < 28)
    rgba[bar, :3] = [20, 30, 200]
    rgba[..., 3] = 255
    rgba[bar, 3] = 128                   # half transparent
    rgba[0:8, 0:10, 3] = 0               # fully transparent corner
    rgba[30:40, 38:48, 3] = (np.arange(10)[None, :] * 25).astype(np.uint8)  # alpha ramp
    Image.fromarray(rgba, "RGBA").save(path)


def random_weights(gen, shapes):
    t = {}
    for name, shape in shapes.items():
        leaf = name.rsplit(".", 2)
        if name.endswith("embedding.weight"):
            t[name] = 0.5 * torch.randn(*shape, generator=gen)  # latents have std ~0.5
        elif "norm" in leaf[-2] and name.endswith(".weight"):
            t[name] = 1 + 0.1 * torch.randn(*shape, generator=gen)   # GroupNorm gamma
        elif name.endswith(".bias"):
            t[name] = 0.1 * torch.randn(*shape, generator=gen)
        else:
            fan_in = shape[1] * shape[2] * shape[3]
            std = 1 / math.sqrt(fan_in)
            if name.endswith("decoder.conv_out.weight"):
                std *= 0.5  # keep decoded pixels roughly in [-1, 1]
            t[name] = std * torch.randn(*shape, generator=gen)
    return t


def save_f32(path, t):
    np.asarray(t, dtype=np.float64).astype("<f4").tofile(path)


def build(name, out_root, image_path):
    seed, vq, with_decoder, grids = FIXTURES[name]
    gen = torch.Generator().manual_seed(seed)
    cfg = VQConfig(vq)
    d = os.path.join(out_root, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump({"model_type": "chameleon_vq", "vq_config": vq}, f, indent=2)
        f.write("\n")
    weights = random_weights(gen, param_shapes(cfg, with_decoder))
    write_safetensors(os.path.join(d, "model.safetensors"), {n: (t, "F32") for n, t in weights.items()})
    model = VQModel(cfg, load_float64(os.path.join(d, "model.safetensors")))

    x, prep = preprocess(image_path, cfg.resolution)
    x.astype("<f4").tofile(os.path.join(d, "input.f32"))
    z = model.encode_latent(torch.from_numpy(x).double()[None])
    save_f32(os.path.join(d, "latent.f32"), z[0].numpy())
    codes, d1, d2 = model.quantize(z)
    lat_h, lat_w = z.shape[2], z.shape[3]
    expected = {
        "fixture": name,
        "reference": "tools/reference/vq_ref.py, float64 from the stored F32 weights",
        "image": "../vq-image.png",
        "preprocess": {
            "alpha": "rgb = (1 - a/255)*255 + (a/255)*rgb, truncated to uint8 (Meta _whiten_transparency)",
            "resize": "short side to resolution, PIL Image.LANCZOS, new size = (round(w*s), round(h*s))",
            "crop": "centre, offset (size - resolution) // 2",
            "scaling": "x = p/255*2 - 1",
            "resized_size": prep["resized_size"],
            "crop_offset": prep["crop_offset"],
        },
        "input_file": "input.f32",
        "input_format": "raw little-endian float32 [3, %d, %d] (CHW, RGB)" % (cfg.resolution, cfg.resolution),
        "latent_file": "latent.f32",
        "latent_format": "raw little-endian float32 [%d, %d, %d]: quant_conv output (before quantize), "
                         "computed from input.f32" % (cfg.embed_dim, lat_h, lat_w),
        "latent_shape": [lat_h, lat_w],
        "codes": [int(c) for c in codes],
        "codes_order": "raster (row-major over latent rows, top row first)",
        "code_distance_gaps": [float(b - a) for a, b in zip(d1, d2)],
        "code_distance": "squared L2; gap = second-nearest minus nearest",
        "distinct_codes": len(set(int(c) for c in codes)),
        "decode": [],
    }
    for i, (rows, cols) in enumerate(grids):
        grid = torch.randint(0, cfg.num_embeddings, (rows * cols,), generator=gen).tolist()
        pix = model.decode_codes(grid, rows, cols)
        fname = "decoded.f32" if i == 0 else "decoded-%dx%d.f32" % (rows, cols)
        save_f32(os.path.join(d, fname), pix.numpy())
        expected["decode"].append({
            "codes": grid, "grid": [rows, cols], "pixels_file": fname,
            "pixels_format": "raw little-endian float32 [3, %d, %d] (CHW), before clamping"
                             % (pix.shape[1], pix.shape[2]),
            "min": float(pix.min()), "max": float(pix.max())})
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    n_params = sum(t.numel() for t in weights.values())
    print("%-12s params=%d latent=%dx%d distinct codes=%d min gap=%.3g decode ranges=%s" % (
        name, n_params, lat_h, lat_w, expected["distinct_codes"], min(expected["code_distance_gaps"]),
        [(round(c["min"], 2), round(c["max"], 2)) for c in expected["decode"]]))


def main():
    torch.set_num_threads(1)
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(REPO, "testdata", "ref"))
    ap.add_argument("--only", default="", help="comma-separated fixture names")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    image_path = os.path.join(args.out, "vq-image.png")
    make_test_image(image_path)
    for name in (args.only.split(",") if args.only else list(FIXTURES)):
        build(name, args.out, image_path)


if __name__ == "__main__":
    main()
