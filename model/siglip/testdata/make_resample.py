#!/usr/bin/python3
"""Writes testdata/resample/: one input picture and Pillow's Image.resize of
it with every convolution filter, shrinking and enlarging, for
TestResampleMatchesPillow. Run with the Pillow the fixtures name (9.4.0):
    cd model/siglip/testdata && /usr/bin/python3 make_resample.py
"""
import os
import random

from PIL import Image

random.seed(29)
W, H = 37, 23
img = Image.new("RGB", (W, H))
px = img.load()
for y in range(H):
    for x in range(W):
        # Gradients, a hard edge and noise: every filter lobe gets exercised.
        r = (x * 7) % 256
        g = 255 if (x + y) % 9 < 3 else (y * 11) % 256
        b = random.randrange(256)
        px[x, y] = (r, g, b)
out = "resample"
os.makedirs(out, exist_ok=True)
img.save(os.path.join(out, "in.png"))
filters = {1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming"}
sizes = [(20, 13), (80, 50), (37, 60), (9, 23), (5, 3)]
for code, name in filters.items():
    for w, h in sizes:
        img.resize((w, h), code).save(os.path.join(out, "%s-%dx%d.png" % (name, w, h)))
