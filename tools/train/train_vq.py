"""Train the tiny VQ-GAN tokenizer on rendered world scenes (see vq.py).

  /usr/bin/python3 tools/train/train_vq.py --out /tmp/chatumm-train/vq.pt --steps 1500 --seed 1

All shape/colour pairs are used here (the tokenizer must be able to show the
held-out pairs; only the transformer never sees them). Logs one line per 50
steps: step, seconds, loss terms, code accuracy, exact-image rate.
"""
import argparse
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "world"))
import world as W  # noqa: E402
import vq as VQ  # noqa: E402


def batch(rng, n, table, dense=0.0):
    """n rendered scenes; a fraction `dense` has an object in every cell, which
    shows the encoder six times more object patches per image."""
    imgs = np.stack([W.render(W.random_scene(rng, n=9 if rng.random() < dense else None, held_out_ok=True))
                     for _ in range(n)])
    codes = np.stack([VQ.patch_codes(im, table) for im in imgs])
    return imgs, torch.from_numpy(codes)


def evaluate(model, rng, table, n=256):
    imgs, codes = batch(rng, n, table)
    with torch.no_grad():
        got = model.encode(VQ.to_input(imgs))
        rec = VQ.to_pixels(model.decode(got, W.SIZE // VQ.PATCH))
    code_acc = (got == codes).float().mean().item()
    exact = float(np.mean([(rec[i] == imgs[i]).all() for i in range(n)]))
    maxerr = int(np.abs(rec.astype(int) - imgs.astype(int)).max())
    return code_acc, exact, maxerr


def from_flat(model, state, table):
    """Encoder and decoder from a place-blind checkpoint; the positional
    codebook row of (place, patch) is the patch's old row plus a per-place
    vector, so the decoder draws every code right from the first step and
    the encoder only has to learn to add where a patch is."""
    flat = VQ.patch_table()
    old = state["quantize.embedding.weight"]
    model.load_state_dict({k: v for k, v in state.items() if k != "quantize.embedding.weight"}, strict=False)
    side = W.SIZE // VQ.PATCH
    offset = torch.randn(side * side, old.shape[1]) * 0.5 * old.std()
    with torch.no_grad():
        for (place, patch), code in table.items():
            model.quantize.embedding.weight[code] = old[flat[patch]] + offset[place]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=48)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--log", default=None)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--dense", type=float, default=0.75)
    ap.add_argument("--init", default=None, help="continue from this checkpoint")
    ap.add_argument("--threads", type=int, default=2, help="1 on a crowded box: OpenMP spins badly when oversubscribed")
    ap.add_argument("--positional", action="store_true",
                    help="one code per (token place, patch): vq.patch_table(positional=True)")
    ap.add_argument("--from-flat", default=None,
                    help="with --positional: start from this place-blind checkpoint, each code's row "
                         "the patch's row plus a random vector per place")
    args = ap.parse_args()
    if args.from_flat and not args.positional:
        ap.error("--from-flat makes a positional codebook: give --positional too")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    table = VQ.patch_table(args.positional)
    cfg = VQ.vq_config(len(table))
    model = VQ.VQModel(cfg)
    if args.init:
        model.load_state_dict(torch.load(args.init)["state"])
    if args.from_flat:
        from_flat(model, torch.load(args.from_flat)["state"], table)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    side = W.SIZE // VQ.PATCH
    t0 = time.time()
    log = open(args.log, "w") if args.log else None
    for step in range(1, args.steps + 1):
        lr = args.lr * min(1.0, step / 100) * (0.5 * (1 + np.cos(np.pi * step / args.steps)) * 0.95 + 0.05)
        for g in opt.param_groups:
            g["lr"] = lr
        imgs, codes = batch(rng, args.batch, table, args.dense)
        x = VQ.to_input(imgs)
        z = model.latent(x)
        d = model.dist(z)                                     # [N, h*w, K]
        ce = F.cross_entropy(-d.reshape(-1, d.shape[-1]), codes.reshape(-1))
        flat = z.permute(0, 2, 3, 1).reshape(-1, z.shape[1])
        pull = F.mse_loss(flat, model.quantize.embedding(codes.reshape(-1)))
        rec = F.mse_loss(model.decode(codes, side), x)
        loss = ce + pull + 10 * rec
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 50 == 0 or step == args.steps:
            acc, exact, maxerr = evaluate(model, random.Random(10_000 + step), table, 64)
            line = "step %d t %.0fs ce %.4f pull %.4f rec %.5f code_acc %.4f exact %.3f maxerr %d" % (
                step, time.time() - t0, ce.item(), pull.item(), rec.item(), acc, exact, maxerr)
            print(line, flush=True)
            if log:
                log.write(line + "\n")
                log.flush()
    acc, exact, maxerr = evaluate(model, random.Random(999), table, 512)
    print("final on 512 fresh scenes: code_acc %.5f exact %.4f maxerr %d" % (acc, exact, maxerr), flush=True)
    torch.save({"cfg": cfg, "state": model.state_dict(), "positional": args.positional}, args.out)


if __name__ == "__main__":
    main()
