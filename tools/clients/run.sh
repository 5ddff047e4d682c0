#!/bin/sh
# Runs the real-client tests against a fresh build of chatumm serve with
# the embedded model: the openai and ollama npm clients, the web page in
# headless chromium (screenshots in out/), and a small load test.
# Needs node/npm and Debian's chromium (apt-get install -y chromium).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
port=${PORT:-18089}
mkdir -p "$here/out"
(cd "$root" && go build -o "$here/out/chatumm" ./cli/chatumm)
[ -d "$here/node_modules" ] || (cd "$here" && npm install --no-audit --no-fund)
"$here/out/chatumm" serve --port "$port" --parallel 2 > "$here/out/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for i in $(seq 50); do
  curl -sf "http://127.0.0.1:$port/health" > /dev/null && break
  sleep 0.2
done
export CHATUMM_URL="http://127.0.0.1:$port"
cd "$here"
node clients.mjs
if [ -x /usr/bin/chromium ]; then node page.mjs; else echo "skip page.mjs: no /usr/bin/chromium"; fi
CLIENTS=${CLIENTS:-16} REQUESTS=${REQUESTS:-25} node load.mjs
kill -TERM $pid
wait $pid && echo "server stopped cleanly on SIGTERM"
