"""Writes the part of the held-out test set that `go test ./model/embedded`
reads, so the Go tests never read tools/:

  model/embedded/testdata/heldout.json   the first 20 "edit" dialogues and the
                                         first 10 "context" dialogues of each
                                         depth 1..4 of tools/eval/testset.json,
                                         in the test set's order
  model/embedded/testdata/images/        the pictures those dialogues show, the
                                         pictures the question tests ask about,
                                         and the first 60 of tools/eval/images
                                         (parsed by tools/world/parse_fixture.py)

    /usr/bin/python3 tools/eval/test_fixture.py      # then tools/world/parse_fixture.py

Standard library only.
"""
import glob
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "model", "embedded", "testdata")
# The pictures TestAnswersAboutInputImages asks about.
QUESTION_IMAGES = ["img_006927dc", "img_3862bb55", "img_169d6316", "img_993e1aa2"]


def main():
    full = json.load(open(os.path.join(HERE, "testset.json")))
    picked, edits, per_depth = [], 0, [0] * 5
    for d in full["dialogues"]:
        if d["category"] == "edit" and edits < 20:
            edits += 1
            picked.append(d)
        elif d["category"] == "context" and 0 < d["depth"] <= 4 and per_depth[d["depth"]] < 10:
            per_depth[d["depth"]] += 1
            picked.append(d)
    images = {p for d in picked for t in d["turns"] for p in t.get("images") or []}
    images |= {"images/%s.png" % n for n in QUESTION_IMAGES}
    images |= {os.path.relpath(p, HERE) for p in sorted(glob.glob(os.path.join(HERE, "images", "*.png")))[:60]}
    os.makedirs(os.path.join(OUT, "images"), exist_ok=True)
    for p in sorted(images):
        shutil.copyfile(os.path.join(HERE, p), os.path.join(OUT, p))
    sub = {k: full[k] for k in ("about", "seed", "image_size")}
    sub["subset"] = "first 20 edit and first 10 context dialogues per depth 1..4 (tools/eval/test_fixture.py)"
    sub["dialogues"] = picked
    with open(os.path.join(OUT, "heldout.json"), "w") as f:
        json.dump(sub, f, indent=0, sort_keys=True)
    print("wrote %d dialogues and %d pictures to %s" % (len(picked), len(images), OUT))


if __name__ == "__main__":
    main()
