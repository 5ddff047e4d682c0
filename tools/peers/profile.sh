#!/usr/bin/env bash
# CPU profile of one `chatumm bench model` run with perf (chatumm has no profiling flag; Go
# keeps frame pointers, so perf's call graphs work on the plain binary).
#
#   bash tools/peers/profile.sh MODEL.gguf THREADS TEST LOAD [CHATUMM] [OUT_PREFIX]
#     TEST: pp (-p 128 -n 0) or tg (-p 0 -n 128); LOAD: mmap or read
#
# Writes OUT_PREFIX.data (perf record) and OUT_PREFIX.txt: the flat profile (self time per
# function) and the call-graph view of the top entries. The model load is in the profile
# too; the flat profile shows it as separate functions (file reading, page faults).
set -euo pipefail
M=$1 T=$2 TEST=$3 LOAD=$4
BIN=${5:-/tmp/chatumm-bin}
OUT=${6:-/tmp/peers/out/profile-$(basename "$M" .gguf)-t$T-$TEST-$LOAD}
case $TEST in
  pp) PN="-p 128 -n 0" ;;
  tg) PN="-p 0 -n 128" ;;
  *) echo "TEST must be pp or tg" >&2; exit 2 ;;
esac
perf record -F 999 -g -o "$OUT.data" -- "$BIN" bench model --model "$M" $PN -t "$T" -r 3 --load "$LOAD" 2>/dev/null
{
  echo "# perf: chatumm bench model --model $M $PN -t $T -r 3 --load $LOAD ($(date -u +%H:%M) UTC, load $(cut -d' ' -f1-3 /proc/loadavg))"
  perf report -i "$OUT.data" --stdio --no-children --sort symbol -g none --percent-limit 0.5 2>/dev/null | grep -v '^$'
  echo
  echo "# call graph (callers) of the top entries"
  perf report -i "$OUT.data" --stdio --no-children --sort symbol -g caller,0.5,callee --percent-limit 5 2>/dev/null | grep -v '^$' | head -120
} > "$OUT.txt"
head -40 "$OUT.txt"
