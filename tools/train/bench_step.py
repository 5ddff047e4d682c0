"""Seconds per training step of the transformer, f32 against bf16 autocast.

One optimizer step (forward, backward, AdamW) of the shipped shape (hidden 192,
5 layers, 3 heads, SwiGLU 512, code factors) on random batches of 3,072 tokens
at three sequence lengths, each mode timed in the same process so the two
figures share the machine's state:

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp \
        /usr/bin/python3 tools/train/bench_step.py [--repeat 4]
"""
import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "world"))
import mot as MOT  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    if not MOT.cpu_has_bf16():
        raise SystemExit("bench_step.py: this CPU has no avx512_bf16 (/proc/cpuinfo): bf16 would run "
                         "torch's slow fallback, nothing to compare")
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = MOT.ChameleonMoT(MOT.config(1571, 192, 5, 3, 512), (7, 915), MOT.code_factors())
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def step(ids, keep, bf16):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(ids[:, :-1], keep)
            loss = F.cross_entropy(logits.float(), ids[:, 1:][keep])
        opt.zero_grad()
        loss.backward()
        opt.step()

    print("batch      f32 s/step  bf16 s/step  ratio")
    for B, T in [(6, 512), (12, 256), (24, 128)]:
        ids = torch.randint(915, 1571, (B, T))          # text ids
        img = torch.rand(B, T) < 0.6                     # about the share of picture codes in training
        ids[img] = torch.randint(7, 915, (int(img.sum()),))
        keep = torch.rand(B, T - 1) < 0.55               # supervised positions
        secs = {}
        for bf16 in (False, True, False, True):          # interleaved: both see the same noise
            step(ids, keep, bf16)
            t = time.time()
            for _ in range(a.repeat):
                step(ids, keep, bf16)
            secs.setdefault(bf16, []).append((time.time() - t) / a.repeat)
        f, b = min(secs[False]), min(secs[True])
        print("%2d x %3d   %10.3f  %11.3f  %5.2f" % (B, T, f, b, f / b))


if __name__ == "__main__":
    main()
