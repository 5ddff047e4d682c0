"""Draws context-tracking accuracy against distractor depth k for several
eval_binary.py result files (--json), e.g. the shipped model and the stage-2
ablation, into a PNG with PIL (no matplotlib on the box):

    /usr/bin/python3 tools/eval/plot_context.py OUT.png "label=results.json" ...
"""
import json
import sys

from PIL import Image, ImageDraw

COLORS = [(200, 40, 40), (40, 120, 220), (40, 160, 60), (0, 0, 0)]


def main():
    out, runs = sys.argv[1], sys.argv[2:]
    # the legend goes under the axes: a line near 100 % must not run through it
    img = Image.new("RGB", (520, 350 + 14 * len(runs)), (255, 255, 255))
    d = ImageDraw.Draw(img)
    x0, y0, x1, y1 = 60, 30, 500, 310
    d.rectangle((x0, y0, x1, y1), outline=(0, 0, 0))
    d.text((x0, 8), "context-tracking accuracy vs distractor turns k", fill=(0, 0, 0))

    def xy(k, acc):
        return x0 + (x1 - x0) * (k + 0.5) / 5, y1 - (y1 - y0) * acc

    for pct in range(0, 101, 20):
        y = y1 - (y1 - y0) * pct / 100
        d.line((x0, y, x1, y), fill=(225, 225, 225))
        d.text((x0 - 35, y - 6), "%d%%" % pct, fill=(0, 0, 0))
    for k in range(5):
        d.text((xy(k, 0)[0] - 3, y1 + 6), str(k), fill=(0, 0, 0))
    d.text(((x0 + x1) // 2 - 60, y1 + 24), "distractor turns k", fill=(0, 0, 0))
    for i, run in enumerate(runs):
        label, path = run.split("=", 1)
        rows = sorted((r for r in json.load(open(path)) if r["category"] == "context"), key=lambda r: r["depth"])
        pts = [xy(r["depth"], r["accuracy"]) for r in rows]
        color = COLORS[i % len(COLORS)]
        d.line(pts, fill=color, width=2)
        for x, y in pts:
            d.ellipse((x - 3, y - 3, x + 3, y + 3), fill=color)
        d.text((x0, y1 + 42 + 14 * i), label, fill=color)
    img.save(out)
    print("wrote", out)


if __name__ == "__main__":
    main()
