"""Writes model/embedded/testdata/parsed_scenes.json: the Python scene parser's
reading of the held-out eval pictures the Go tests use
(model/embedded/testdata/images, copied there by tools/eval/test_fixture.py)
and of pictures decoded from model tokens (model/embedded/testdata/drawn), so
the Go port used by the end-to-end tests is checked against it.

    /usr/bin/python3 tools/world/parse_fixture.py
"""
import glob
import json
import os

import world as W

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")


def main():
    paths = sorted(glob.glob(os.path.join(ROOT, "model/embedded/testdata/images/*.png")))
    paths += sorted(glob.glob(os.path.join(ROOT, "model/embedded/testdata/drawn/*.png")))
    out = {}
    for p in paths:
        s = W.parse(W.load_png(p))
        out[os.path.relpath(p, os.path.join(ROOT, "model/embedded"))] = s.to_json()
    with open(os.path.join(ROOT, "model/embedded/testdata/parsed_scenes.json"), "w") as f:
        json.dump(out, f, indent=0, sort_keys=True)
    print("wrote %d scenes" % len(out))


if __name__ == "__main__":
    main()
