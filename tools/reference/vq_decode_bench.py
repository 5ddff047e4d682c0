"""Times PyTorch decoding one 512x512 image with the real Chameleon VQ-GAN shape.

Random weights (timing does not depend on values): base 128, multipliers 1,1,2,2,4,
2 res blocks (3 per decoder level), 8192x256 codebook, z 256, float32, a 32x32 code grid.
Uses the taming-style modules from check_reference.py. The timing is the baseline the Go VQ
decoder is compared with.

    /usr/bin/python3 tools/reference/vq_decode_bench.py [--threads 1,2] [--repeats 1]
"""
import argparse
import time

import torch
import torch.nn as nn

from check_reference import Decoder


def blas_probe():
    """GFLOP/s of a 1024^3 float32 matmul: reference BLAS gives ~1-3, OpenBLAS tens."""
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    a @ b
    t = time.perf_counter()
    for _ in range(4):
        a @ b
    return 4 * 2 * 1024 ** 3 / (time.perf_counter() - t) / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    torch.manual_seed(0)
    with torch.no_grad():
        decoder = Decoder(128, [1, 1, 2, 2, 4], 2, [], 512, 3, 256, 32).eval()
        post_quant_conv = nn.Conv2d(256, 256, 1)
        codebook = nn.Embedding(8192, 256)
        codes = torch.randint(0, 8192, (32 * 32,))
        params = sum(p.numel() for p in decoder.parameters())
        print("torch %s, mkldnn %s, decoder params %.2fM" % (
            torch.__version__, torch.backends.mkldnn.is_available(), params / 1e6))
        for n in [int(s) for s in args.threads.split(",")]:
            torch.set_num_threads(n)
            print("threads=%d: 1024^3 matmul %.1f GFLOP/s" % (n, blas_probe()))
            # Warm-up on a 2x2 grid (64x64 pixels) so one-time allocation is not timed.
            small = codebook(codes[:4]).reshape(1, 2, 2, 256).permute(0, 3, 1, 2)
            decoder(post_quant_conv(small))
            for r in range(args.repeats):
                t = time.perf_counter()
                z = codebook(codes).reshape(1, 32, 32, 256).permute(0, 3, 1, 2)
                pix = decoder(post_quant_conv(z))
                dt = time.perf_counter() - t
                print("threads=%d run %d: decode 32x32 codes -> %s in %.2f s" % (n, r, list(pix.shape), dt))


if __name__ == "__main__":
    main()
