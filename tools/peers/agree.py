"""Greedy-decoding agreement between chatumm and llama.cpp on a llama GGUF, step by step.

1. llama.cpp (build/llama_logits, see README.md) decodes STEPS tokens greedily from the
   prompt ids and writes its logits for every position.
2. chatumm runs `chatumm logits` on the prompt plus llama.cpp's continuation (teacher
   forcing), so row P-1+k of both files is the prediction for greedy step k.
3. gguf_ref.py computes the same rows in float64 (exact for the stored weights), and once
   more with llama.cpp's f16 rounding of activations emulated (--f16-act): the distance
   between those two is how far that rounding alone moves the logits at each step.

Where the argmaxes part, the step counts as a near-tie within llama.cpp's rounding when the
swing between the two tokens, (L[a]-L[c]) + (C[c]-C[a]) for llama.cpp's token a and
chatumm's c, is at most 2 * max|E - R| on that row (E emulated, R exact): what the f16
rounding alone can move the difference of two logits. Anything beyond that is a bug in one
of the two, and the float64 rows say which.

    /usr/bin/python3 tools/peers/agree.py --model /tmp/peers/models/small-f16.gguf \
        --chatumm /tmp/chatumm-bin --peers /tmp/peers --out /tmp/peers/out/agree-small
writes OUT/{llama.f32, llama.json, chatumm.f32, ref.f32, ref16.f32, report.md} and prints
the report. Exit status 0 when every step agrees or parts only at a near-tie.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def prompt_ids(n, vocab, seed=12345):
    """BOS then n-1 ids from the same LCG as peers/bench.mjs (avoids the special ids 0..2)."""
    ids, s = [1], seed
    while len(ids) < n:
        s = (s * 1103515245 + 12345) % 2**32
        ids.append(3 + s % (vocab - 3))
    return ids


def run(cmd, cwd=None, env=None):
    t = time.time()
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("%s failed (%d):\n%s" % (" ".join(cmd[:3]), p.returncode, p.stderr[-2000:]))
    print("  %.1f s  %s" % (time.time() - t, " ".join(c if len(c) < 60 else c[:57] + "..." for c in cmd)), file=sys.stderr)
    return p.stdout


def load(path, vocab):
    a = np.fromfile(path, dtype="<f4")
    if a.size % vocab:
        sys.exit("%s: %d floats is not a multiple of the vocabulary %d" % (path, a.size, vocab))
    return a.reshape(-1, vocab).astype(np.float64)


def top2(row):
    i = np.argsort(row)[-2:][::-1]
    return int(i[0]), float(row[i[0]] - row[i[1]])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--chatumm", default="/tmp/chatumm-bin", help="chatumm binary")
    ap.add_argument("--peers", default="/tmp/peers", help="folder with node_modules and build/llama_logits")
    ap.add_argument("--out", required=True, help="folder for the logits files and report.md")
    ap.add_argument("--prompt-len", type=int, default=16)
    ap.add_argument("--ids", default="", help="prompt ids (default: BOS + LCG ids, --prompt-len in all)")
    ap.add_argument("--steps", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-ref", action="store_true", help="skip the float64 reference (slow for big models)")
    ap.add_argument("--chatumm-args", default="", help="extra flags for chatumm logits, e.g. --kv-f32")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    out = lambda n: os.path.join(a.out, n)
    bins = os.path.join(a.peers, "node_modules/@node-llama-cpp/linux-x64/bins/linux-x64")
    model = os.path.abspath(a.model)
    vocab = 32000
    ids = [int(s) for s in a.ids.split(",")] if a.ids else prompt_ids(a.prompt_len, vocab)
    P, K = len(ids), a.steps

    # 1. llama.cpp greedy, from its prebuilt-binaries folder so ggml finds its CPU variants
    env = dict(os.environ, LD_LIBRARY_PATH=bins)
    info = json.loads(run([os.path.join(a.peers, "build/llama_logits"), model, ",".join(map(str, ids)), str(K),
                           str(a.threads), os.path.abspath(out("llama.f32"))], cwd=bins, env=env))
    json.dump(info, open(out("llama.json"), "w"))
    vocab = info["n_vocab"]
    greedy = info["greedy"]
    seq = ids + greedy[:-1]

    # 2. chatumm, teacher-forced on llama.cpp's continuation
    run([a.chatumm, "logits", "--model", model, "--ids", ",".join(map(str, seq)), "--out", out("chatumm.f32")]
        + a.chatumm_args.split())

    # 3. float64 reference, exact and with llama.cpp's rounding emulated
    if not a.no_ref:
        ref = [sys.executable, os.path.join(HERE, "gguf_ref.py"), "--model", model, "--ids", ",".join(map(str, seq))]
        run(ref + ["--out", out("ref.f32")])
        run(ref + ["--out", out("ref16.f32"), "--f16-act", "--n-prompt", str(P)])

    L, C = load(out("llama.f32"), vocab), load(out("chatumm.f32"), vocab)
    if L.shape != C.shape:
        sys.exit("llama.cpp wrote %s logits, chatumm %s" % (L.shape, C.shape))
    R = E = None
    if not a.no_ref:
        R, E = load(out("ref.f32"), vocab), load(out("ref16.f32"), vocab)

    lines = ["# chatumm vs llama.cpp: greedy agreement", "",
             "model `%s`, prompt %d ids `%s`, %d greedy steps, llama.cpp %d threads, flash attention %s" %
             (model, P, ",".join(map(str, ids)), K, a.threads, info["flash_attn"]), "",
             "L = llama.cpp, C = chatumm (teacher-forced on L's tokens), R = float64 reference, "
             "E = float64 with llama.cpp's f16 activation rounding emulated. margin = top1 - top2 logit.", "",
             "| step | L token | C token | R token | L margin | C margin | max abs L-C | rms L-C | rms C-R | rms L-R | max abs E-R |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    agree, parted, unexplained = 0, [], []
    for k in range(K):
        r = P - 1 + k
        la, lm = top2(L[r])
        ca, cm = top2(C[r])
        assert la == greedy[k] or L[r][la] == L[r][greedy[k]]
        d = L[r] - C[r]
        cells = [k, la, ca, "-", "%.5f" % lm, "%.5f" % cm, "%.2e" % np.abs(d).max(), "%.2e" % d.std(), "-", "-", "-"]
        if R is not None:
            cells[3] = int(np.argmax(R[r]))
            cells[8] = "%.2e" % (C[r] - R[r]).std()
            cells[9] = "%.2e" % (L[r] - R[r]).std()
            cells[10] = "%.2e" % np.abs(E[r] - R[r]).max()
        lines.append("| " + " | ".join(map(str, cells)) + " |")
        if ca == la:
            agree += 1
            continue
        swing = (L[r][la] - L[r][ca]) + (C[r][ca] - C[r][la])
        bound = 2 * np.abs(E[r] - R[r]).max() if R is not None else None
        parted.append((k, la, ca, L[r][la] - L[r][ca], C[r][ca] - C[r][la], swing, bound,
                       None if R is None else R[r][la] - R[r][ca]))
        if bound is None or swing > bound:
            unexplained.append(k)

    lines += ["", "**%d of %d steps agree** (argmax of chatumm's logits on llama.cpp's prefix = llama.cpp's greedy token)." % (agree, K)]
    if parted:
        lines += ["", "Steps where they part (gap = how far each side's own choice leads the other's token):", "",
                  "| step | L token a | C token c | L[a]-L[c] | C[c]-C[a] | swing | f16-rounding bound 2·max abs E-R | R[a]-R[c] (float64) | near-tie? |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for k, la, ca, gl, gc, sw, bd, rr in parted:
            lines.append("| %d | %d | %d | %.5f | %.5f | %.5f | %s | %s | %s |" % (
                k, la, ca, gl, gc, sw, "-" if bd is None else "%.5f" % bd, "-" if rr is None else "%+.5f" % rr,
                "-" if bd is None else ("yes" if sw <= bd else "**no**")))
    if R is not None:
        body = slice(P - 1, P - 1 + K)
        lines += ["", "Over the %d step rows: rms C-R %.2e (max abs %.2e), rms L-R %.2e (max abs %.2e), "
                  "rms E-R %.2e (max abs %.2e); argmax C=R on %d rows, L=R on %d rows." % (
                      K, (C - R)[body].std(), np.abs(C - R)[body].max(), (L - R)[body].std(), np.abs(L - R)[body].max(),
                      (E - R)[body].std(), np.abs(E - R)[body].max(),
                      int((C[body].argmax(1) == R[body].argmax(1)).sum()), int((L[body].argmax(1) == R[body].argmax(1)).sum()))]
    verdict = "PASS" if not unexplained else "FAIL: steps %s part beyond llama.cpp's rounding" % unexplained
    lines += ["", "Verdict: **%s**" % verdict]
    report = "\n".join(lines) + "\n"
    open(out("report.md"), "w").write(report)
    print(report)
    return 0 if not unexplained else 1


if __name__ == "__main__":
    sys.exit(main())
