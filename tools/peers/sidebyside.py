"""chatumm vs llama-bench on the same GGUF files, run back to back, alternating.

For every model, pairing, thread count and round, one `chatumm bench model` process and one
llama-bench process run pp and tg back to back (the order flips every round, so a drifting
host favours neither). Two pairings compare like with like:

    mmap:  chatumm --load mmap   vs  llama-bench -lm mmap  (llama.cpp's default)
    read:  chatumm --load read   vs  llama-bench -lm none  (weights read into memory)

Each process runs under /usr/bin/time -v for its peak RSS (maximum resident set size). Around
each process the script records the 1-minute load average and the CPU time that other
processes used (system busy time from /proc/stat minus the child's own, per wall second),
because the machine is shared. Raw records go to OUT.jsonl, the table to OUT.md.

    /usr/bin/python3 tools/peers/sidebyside.py --chatumm /tmp/chatumm-bin --peers /tmp/peers \
        --models small,1B --threads 1,2 --rounds 2 --reps 3 --out /tmp/peers/out/sidebyside

The table's tokens/s is the median over rounds of each process's mean over its --reps
repetitions (both tools do one warm-up run first). Rerender a table from the raw records
with --table-only.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

PAIRINGS = {"mmap": ("mmap", "mmap"), "read": ("read", "none")}  # name: (chatumm --load, llama-bench -lm)
HZ = os.sysconf("SC_CLK_TCK")
TIMEOUT_S = 900  # a process that takes longer is killed and retried (a deadlocked worker pool)


def busy_seconds():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)) / HZ


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def wait_quiet(max_foreign, timeout):
    """Wait up to timeout s for other processes to use <= max_foreign CPUs over 2 s."""
    t_end = time.time() + timeout
    while True:
        b0, t0 = busy_seconds(), time.time()
        time.sleep(2.0)
        load = (busy_seconds() - b0) / (time.time() - t0)
        if load <= max_foreign or time.time() > t_end:
            return load


def timed(cmd, cwd=None, env=None):
    """Run cmd under /usr/bin/time -v; return stdout, peak RSS bytes, foreign CPUs, wall s."""
    b0, t0 = busy_seconds(), time.time()
    ru0 = os.times()
    try:
        p = subprocess.run(["/usr/bin/time", "-v"] + cmd, cwd=cwd, env=env, capture_output=True, text=True,
                           timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        print("TIMEOUT after %d s: %s" % (TIMEOUT_S, " ".join(cmd)), file=sys.stderr)
        return None, -1, 0.0, TIMEOUT_S
    wall = time.time() - t0
    ru1 = os.times()
    own = (ru1.children_user + ru1.children_system) - (ru0.children_user + ru0.children_system)
    foreign = max(0.0, (busy_seconds() - b0 - own) / wall)
    if p.returncode != 0:
        first = next((l for l in p.stderr.splitlines() if "fatal error" in l or "panic" in l), p.stderr[-300:])
        crash = "/tmp/sidebyside-crash-%d.txt" % int(time.time())
        with open(crash, "w") as f:
            f.write(p.stderr)
        print("FAILED (%d): %s: %s (stderr in %s)" % (p.returncode, " ".join(cmd), first, crash), file=sys.stderr)
        return None, -1, foreign, wall
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    return p.stdout, int(m.group(1)) * 1024 if m else -1, foreign, wall


def json_lines(text):
    return [json.loads(l) for l in text.splitlines() if l.startswith("{")]


def run_chatumm(a, model, load, t):
    cmd = [a.chatumm, "bench", "model", "--model", model, "-p", str(a.p), "-n", str(a.n), "-t", str(t),
           "-r", str(a.reps), "--load", load, "-o", "json"]
    return cmd, None, None


def run_llama(a, model, lm, t):
    bins = os.path.join(a.peers, "node_modules/@node-llama-cpp/linux-x64/bins/linux-x64")
    cmd = [os.path.join(a.peers, "build/llama-bench"), "-m", model, "-t", str(t), "-p", str(a.p), "-n", str(a.n),
           "-r", str(a.reps), "-lm", lm, "-o", "jsonl"]
    # from the binaries folder, so ggml finds its CPU backend variants (libggml-cpu-zen4.so here)
    return cmd, bins, dict(os.environ, LD_LIBRARY_PATH=bins)


def measure(a, out_jsonl):
    # "1B" is models/1B-f16.gguf; "1B-Q4_K_M" is models/1B-Q4_K_M.gguf (run.sh quantize makes those)
    models = {m: os.path.join(a.peers, "models", ("%s.gguf" if "-" in m else "%s-f16.gguf") % m)
              for m in a.models.split(",")}
    threads = [int(t) for t in a.threads.split(",")]
    with open(out_jsonl, "a") as log:
        for name, path in models.items():
            subprocess.run(["cat", path], stdout=subprocess.DEVNULL)  # into the page cache for both
            for pairing in a.pairings.split(","):
                load, lm = PAIRINGS[pairing]
                for t in threads:
                    for rnd in range(a.rounds):
                        order = ["chatumm", "llama.cpp"] if rnd % 2 == 0 else ["llama.cpp", "chatumm"]
                        for tool in order:
                            cmd, cwd, env = run_chatumm(a, path, load, t) if tool == "chatumm" else run_llama(a, path, lm, t)
                            failures = 0
                            while True:  # a crashed or hung-up process is retried, and counted
                                before = wait_quiet(a.max_foreign, a.wait)
                                la = loadavg()
                                stdout, rss, foreign, wall = timed(cmd, cwd, env)
                                if stdout is not None:
                                    break
                                failures += 1
                                if failures == a.tries:
                                    sys.exit("%s failed %d times" % (tool, failures))
                            for r in json_lines(stdout):
                                test = "pp%d" % r["n_prompt"] if r["n_prompt"] else "tg%d" % r["n_gen"]
                                rec = dict(tool=tool, model=name, pairing=pairing, threads=t, round=rnd, test=test,
                                           avg_ts=r["avg_ts"], stddev_ts=r["stddev_ts"], samples_ts=r.get("samples_ts"),
                                           load_mode=r.get("load_mode"), peak_rss=rss, loadavg=la,
                                           foreign_before=round(before, 2), foreign=round(foreign, 2),
                                           wall_s=round(wall, 1), failures=failures, utc=time.strftime("%H:%M:%S", time.gmtime()))
                                log.write(json.dumps(rec) + "\n")
                                log.flush()
                                print("%s %-9s %-5s %-4s t=%d r=%d %-6s %8.2f t/s  rss %6.0f MiB  load %.2f foreign %.2f" % (
                                    rec["utc"], tool, name, pairing, t, rnd, test, rec["avg_ts"], rss / 2**20, la, foreign),
                                    file=sys.stderr)


def table(records):
    key = lambda r: (r["model"], r["pairing"], r["threads"], r["test"])
    groups = {}
    for r in records:
        groups.setdefault(key(r), {}).setdefault(r["tool"], []).append(r)
    order = {"1B": 0, "small": 1}
    lines = ["| model | load (chatumm / llama.cpp) | threads | test | chatumm t/s | llama.cpp t/s | ratio | "
             "chatumm peak RSS | llama.cpp peak RSS | RSS ratio | load avg | other CPUs | rounds | chatumm crashes |",
             "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for k in sorted(groups, key=lambda k: (order.get(k[0], 9), k[1], k[2], k[3])):
        g = groups[k]
        if "chatumm" not in g or "llama.cpp" not in g:
            continue
        c, l = g["chatumm"], g["llama.cpp"]
        ct = statistics.median(r["avg_ts"] for r in c)
        lt = statistics.median(r["avg_ts"] for r in l)
        crss = max(r["peak_rss"] for r in c)
        lrss = max(r["peak_rss"] for r in l)
        spread = lambda rs: "" if len(rs) < 2 else " (%.4g–%.4g)" % (min(r["avg_ts"] for r in rs), max(r["avg_ts"] for r in rs))
        la = [r["loadavg"] for r in c + l]
        fo = [r["foreign"] for r in c + l]
        lines.append("| %s | %s | %d | %s | %.2f%s | %.2f%s | **%.2f×** | %.0f MiB | %.0f MiB | %.2f | %.1f–%.1f | %.2f–%.2f | %d | %d |" % (
            k[0], "%s / %s" % PAIRINGS[k[1]], k[2], k[3], ct, spread(c), lt, spread(l), ct / lt,
            crss / 2**20, lrss / 2**20, crss / lrss, min(la), max(la), min(fo), max(fo), min(len(c), len(l)), sum(r.get("failures", 0) for r in c)))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chatumm", default="/tmp/chatumm-bin")
    ap.add_argument("--peers", default="/tmp/peers", help="folder with models/, build/llama-bench, node_modules")
    ap.add_argument("--models", default="small,1B")
    ap.add_argument("--pairings", default="mmap,read")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds per configuration")
    ap.add_argument("--reps", type=int, default=3, help="repetitions inside each process (-r)")
    ap.add_argument("-p", type=int, default=128)
    ap.add_argument("-n", type=int, default=128)
    ap.add_argument("--max-foreign", type=float, default=0.2, help="wait for other load below this many CPUs")
    ap.add_argument("--wait", type=float, default=30, help="but wait at most this many seconds")
    ap.add_argument("--out", required=True, help="OUT.jsonl (appended) and OUT.md")
    ap.add_argument("--tries", type=int, default=4, help="give up after this many failed runs of one process")
    ap.add_argument("--table-only", action="store_true")
    a = ap.parse_args()
    if not a.table_only:
        measure(a, a.out + ".jsonl")
    records = [json.loads(l) for l in open(a.out + ".jsonl")]
    md = table(records)
    with open(a.out + ".md", "w") as f:
        f.write(md)
    print(md)


if __name__ == "__main__":
    sys.exit(main())
