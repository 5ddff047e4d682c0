"""Average the weights of several train.py checkpoints of one run (the last
few saves, taken while the learning rate is low) into one checkpoint that
export.py and probe_answers.py read like any other.

    python3 tools/train/average.py --out /tmp/chatumm-train/avg.pt \
        save1.pt save2.pt ... final.pt

train.py overwrites its checkpoint every --save-every steps, so the saves to
average have to be copied away while the run goes (README, "Commands").
Both the training state and the folded export state are averaged; the
checkpoints must share the config and the BPE merges.
"""
import argparse

import torch


def average(paths):
    cks = [torch.load(p) for p in paths]
    first = cks[0]
    for p, ck in zip(paths, cks):
        if ck["cfg"] != first["cfg"] or ck["merges"] != first["merges"]:
            raise SystemExit("%s: config or merges differ from %s" % (p, paths[0]))
    out = dict(first)
    for key in ("state", "export_state"):
        if key not in first:
            continue
        out[key] = {name: sum(ck[key][name].double() for ck in cks).div(len(cks)).to(t.dtype)
                    for name, t in first[key].items()}
    out["step"] = max(ck["step"] for ck in cks)
    out["averaged_steps"] = [ck["step"] for ck in cks]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpts", nargs="+")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    ck = average(a.ckpts)
    torch.save(ck, a.out)
    print("averaged steps %s -> %s" % (ck["averaged_steps"], a.out))


if __name__ == "__main__":
    main()
