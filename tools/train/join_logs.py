"""Joins the logs of a chain of training runs (each continuing the last
checkpoint) into one log with cumulative step numbers, for plot_losses.py.
A run that was stopped after a checkpoint is cut at that step: PATH:STEP.

    /usr/bin/python3 tools/train/join_logs.py OUT.txt mot_all_log.txt mot4_log.txt:1200 fac5_log.txt:200 ...
"""
import re
import sys


def main():
    out, runs = sys.argv[1], sys.argv[2:]
    offset, lines = 0, []
    for run in runs:
        path, _, cut = run.partition(":")
        last = 0
        for line in open(path):
            m = re.match(r"(val )?step (\d+) (.*)", line)
            if not m:
                continue
            step = int(m.group(2))
            if cut and step > int(cut):
                break
            last = step
            lines.append("%sstep %d %s\n" % (m.group(1) or "", offset + step, m.group(3)))
        offset += last
    open(out, "w").writelines(lines)
    print("wrote %s: %d lines, %d steps" % (out, len(lines), offset))


if __name__ == "__main__":
    main()
