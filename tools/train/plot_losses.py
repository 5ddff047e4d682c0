"""Draws the loss curves of a training run into a PNG with PIL (no matplotlib
on the box): left panel the transformer (train total/text/image, validation),
right panel the VQ-GAN (code cross-entropy, pixel L2). Log-scale y.

  /usr/bin/python3 tools/train/plot_losses.py /tmp/chatumm-train/s30_log.txt \
      /tmp/chatumm-train/vq1_log.txt /tmp/chatumm-train/vq2_log.txt /tmp/chatumm-train/vq3_log.txt OUT.png
"""
import math
import re
import sys

from PIL import Image, ImageDraw

COLORS = [(200, 40, 40), (40, 120, 220), (40, 160, 60), (0, 0, 0)]


def parse(path, pattern, keys):
    series = {k: [] for k in keys}
    with open(path) as f:
        for line in f:
            m = re.match(pattern, line)
            if not m:
                continue
            d = m.groupdict()
            for k in keys:
                series[k].append((float(d["step"]), float(d[k])))
    return series


def panel(draw, box, title, series, xlabel):
    x0, y0, x1, y1 = box
    draw.rectangle(box, outline=(0, 0, 0))
    draw.text((x0 + 5, y0 - 14), title, fill=(0, 0, 0))
    pts = [p for s in series.values() for p in s if p[1] > 0]
    if not pts:
        return
    xmax = max(p[0] for p in pts)
    lo = math.floor(math.log10(min(p[1] for p in pts)))
    hi = math.ceil(math.log10(max(p[1] for p in pts)))
    hi = max(hi, lo + 1)

    def xy(p):
        return (x0 + (x1 - x0) * p[0] / xmax, y1 - (y1 - y0) * (math.log10(p[1]) - lo) / (hi - lo))
    for e in range(lo, hi + 1):
        y = y1 - (y1 - y0) * (e - lo) / (hi - lo)
        draw.line((x0, y, x1, y), fill=(220, 220, 220))
        draw.text((x0 - 40, y - 6), "1e%d" % e, fill=(0, 0, 0))
    draw.text((x1 - 60, y1 + 4), "%s %d" % (xlabel, xmax), fill=(0, 0, 0))
    for i, (name, s) in enumerate(series.items()):
        s = [p for p in s if p[1] > 0]
        if len(s) > 1:
            draw.line([xy(p) for p in s], fill=COLORS[i % 4], width=2)
        draw.text((x0 + 10, y0 + 8 + 14 * i), name, fill=COLORS[i % 4])


def main():
    mot_log, vq_logs, out = sys.argv[1], sys.argv[2:-1], sys.argv[-1]
    num = r"(?P<%s>[0-9.e+-]+)"
    train = parse(mot_log, r"step (?P<step>\d+) t \S+ lr \S+ loss %s text %s image %s" % (
        num % "loss", num % "text", num % "image"), ["loss", "text", "image"])
    val = parse(mot_log, r"val step (?P<step>\d+) t \S+ loss %s" % (num % "val"), ["val"])
    vq = {"code ce": [], "pixel L2": []}
    offset = 0
    for path in vq_logs:  # the second VQ run continues the first
        s = parse(path, r"step (?P<step>\d+) t \S+ ce %s pull \S+ rec %s" % (num % "ce", num % "rec"), ["ce", "rec"])
        vq["code ce"] += [(x + offset, y) for x, y in s["ce"]]
        vq["pixel L2"] += [(x + offset, y) for x, y in s["rec"]]
        offset = vq["code ce"][-1][0] if vq["code ce"] else offset
    img = Image.new("RGB", (1000, 420), (255, 255, 255))
    d = ImageDraw.Draw(img)
    panel(d, (60, 30, 480, 380), "transformer: train loss (total/text/image), val total",
          {"train total": train["loss"], "train text": train["text"], "train image": train["image"],
           "val total": val["val"]}, "step")
    panel(d, (560, 30, 980, 380), "VQ-GAN: code cross-entropy, pixel L2", vq, "step")
    img.save(out)
    print("wrote", out)


if __name__ == "__main__":
    main()
