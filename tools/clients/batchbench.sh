#!/bin/sh
# Compares `chatumm serve --batch on` with `--batch off` end to end: for
# ROUNDS rounds, alternating which goes first, starts the server on MODEL
# with --parallel CLIENTS, runs batchload.mjs (CLIENTS streaming clients
# × REQUESTS greedy requests of MAX_TOKENS tokens) and stops it. Every run's JSON line goes to
# out/batch-<round>-<mode>.json; each run after the first is checked
# against the first for identical replies.
# Usage: MODEL=/path/1B-Q8_0.gguf [CHATUMM_BIN=/tmp/chatumm-b] ./batchbench.sh
# Timed runs on a shared machine: wrap it in flock (see docs/PERFORMANCE.md).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${CHATUMM_BIN:-$here/out/chatumm}
model=${MODEL:-}
rounds=${ROUNDS:-2}
port=${PORT:-18091}
export CLIENTS=${CLIENTS:-4} REQUESTS=${REQUESTS:-3} MAX_TOKENS=${MAX_TOKENS:-64}
export CHATUMM_URL="http://127.0.0.1:$port"
mkdir -p "$here/out"
[ -x "$bin" ] || (cd "$here/../.." && go build -o "$bin" ./cli/chatumm)
[ -d "$here/node_modules" ] || (cd "$here" && npm install --no-audit --no-fund)
ref=""
pid=""
trap '[ -z "$pid" ] || kill $pid 2>/dev/null || true' EXIT
for round in $(seq "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then modes="on off"; else modes="off on"; fi
  for mode in $modes; do
    "$bin" serve ${model:+--model "$model"} --port "$port" --parallel "$CLIENTS" --batch "$mode" > "$here/out/batch-serve.log" 2>&1 &
    pid=$!
    up=""
    for i in $(seq 300); do
      if curl -sf "$CHATUMM_URL/health" > /dev/null; then up=1; break; fi
      sleep 0.2
    done
    [ -n "$up" ] || { echo "the server did not come up:"; cat "$here/out/batch-serve.log"; exit 1; }
    out="$here/out/batch-$round-$mode.json"
    REF=$ref node "$here/batchload.mjs" > "$out"
    node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));delete j.replies;console.log(process.argv[2],process.argv[3],JSON.stringify(j))' "$out" "round=$round" "batch=$mode"
    [ -n "$ref" ] || ref=$out
    kill -TERM $pid
    wait $pid || true
    pid=""
  done
done
