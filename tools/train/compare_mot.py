"""Compare this mot.py against another version of it: same outputs, and which is faster.

Loads OLD (a path to an earlier mot.py, e.g. from `git show REV:tools/train/mot.py`)
beside this directory's mot.py, gives both models the same random weights (code
factors included, nonzero) and checks on several batch shapes that the logits
agree and the gradients agree to float rounding; then times one AdamW step of
the shipped shape for each, interleaved in one process so both share the
machine's state, and prints the ratio of the best times:

    git show HEAD~1:tools/train/mot.py > /tmp/mot_old.py
    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp \\
        /usr/bin/python3 tools/train/compare_mot.py /tmp/mot_old.py [--rounds 4]
"""
import argparse
import importlib.util
import os
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "world"))
import mot as NEW  # noqa: E402


def load(path):
    spec = importlib.util.spec_from_file_location("mot_other", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def batch(B, T, gen):
    """Random ids with about 60 % picture codes and a keep mask of about 55 %."""
    ids = torch.randint(915, 1571, (B, T), generator=gen)
    img = torch.rand(B, T, generator=gen) < 0.6
    ids[img] = torch.randint(7, 915, (int(img.sum()),), generator=gen)
    return ids, torch.rand(B, T, generator=gen) < 0.55


def check(old, new, gen):
    worst = 0.0
    for B, T in [(12, 256), (3, 17), (1, 5), (6, 512), (2, 9)]:
        ids, keep = batch(B, T, gen)
        for m in (old, new):
            m.zero_grad()
        lo, ln = old(ids, keep), new(ids, keep)
        lo.float().pow(2).mean().backward()
        ln.float().pow(2).mean().backward()
        logit = max((lo - ln).abs().max().item(), (old(ids) - new(ids)).abs().max().item())
        grad = max(((p.grad - q.grad).abs().max() / (p.grad.abs().max() + 1e-12)).item()
                   for p, q in zip(old.parameters(), new.parameters()) if p.grad is not None)
        print("B %2d T %3d: logits max |diff| %.2e, gradients max relative diff %.2e" % (B, T, logit, grad))
        if logit > 1e-4 or grad > 1e-4:
            raise SystemExit("compare_mot.py: the two versions disagree at B %d T %d" % (B, T))
        worst = max(worst, grad)
    return worst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old", help="path of the other mot.py")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    OLD = load(a.old)
    torch.manual_seed(0)
    cfg, fac = NEW.config(1571, 192, 5, 3, 512), NEW.code_factors()
    old, new = OLD.ChameleonMoT(cfg, (7, 915), fac), NEW.ChameleonMoT(cfg, (7, 915), fac)
    with torch.no_grad():
        for p in old.parameters():
            p.normal_(0, 0.05)
        new.load_state_dict(old.state_dict())
    check(old, new, torch.Generator().manual_seed(1))

    ids, keep = batch(12, 257, torch.Generator().manual_seed(2))
    models = {"old": old, "new": new}
    opts = {k: torch.optim.AdamW(m.parameters(), lr=1e-4) for k, m in models.items()}

    def step(k):
        logits = models[k](ids[:, :-1], keep[:, 1:])
        loss = F.cross_entropy(logits.float(), ids[:, 1:][keep[:, 1:]])
        opts[k].zero_grad()
        loss.backward()
        opts[k].step()

    for k in models:
        step(k)
        step(k)
    best = {k: [] for k in models}
    for _ in range(a.rounds):
        for k in models:
            t = time.time()
            for _ in range(3):
                step(k)
            best[k].append((time.time() - t) / 3)
    for k in models:
        print("%s: s/step %s, best %.3f" % (k, " ".join("%.3f" % x for x in best[k]), min(best[k])))
    print("old/new: %.3f" % (min(best["old"]) / min(best["new"])))


if __name__ == "__main__":
    main()
