#!/usr/bin/env bash
# Set up llama.cpp and the random F16 GGUF models for the side-by-side tools, outside the repo.
#
#   bash tools/peers/setup.sh [PEERS_DIR]        (default /tmp/peers; about 3 min and 3.5 GB)
#
# 1. copies ../shared/peers (read-only) to PEERS_DIR;
# 2. npm installs node-llama-cpp@3.21.1 there (prebuilt llama.cpp v0.4.0 shared libraries,
#    nothing downloaded or compiled by its postinstall);
# 3. compiles two drivers against those prebuilt libraries, from the llama.cpp source bundle
#    that ships inside the package: build/llama-bench (as peers/run.sh does) and
#    build/llama_logits (this folder's llama_logits.c);
# 4. generates models/small-f16.gguf and models/1B-f16.gguf with gen_gguf.py.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=$(cd "$HERE/../../../shared/peers" 2>/dev/null && pwd || echo /work/shared/peers)
P=${1:-/tmp/peers}
PY=/usr/bin/python3 # Debian's python with numpy; a pyenv python3 may shadow it on PATH
BINS=node_modules/@node-llama-cpp/linux-x64/bins/linux-x64
S=build/llama.cpp-src

if [ ! -f "$P/gen_gguf.py" ]; then
  mkdir -p "$P"
  cp -r "$SHARED"/. "$P"/
  chmod -R u+w "$P"
fi
cd "$P"
mkdir -p build models out
if [ ! -f "$BINS/llama-addon.node" ]; then
  NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm i -E node-llama-cpp@3.21.1 --no-audit --no-fund
fi
[ -d "$S" ] || git clone -q node_modules/node-llama-cpp/llama/gitRelease.bundle "$S"
if [ ! -x build/llama-bench ]; then
  g++ -O2 -DNDEBUG -std=c++17 -pthread -I$S/include -I$S/ggml/include -I$S/common -I$S/vendor \
    -I$S/tools/llama-bench $S/tools/llama-bench/llama-bench.cpp $S/tools/llama-bench/main.cpp \
    -o build/llama-bench -L$BINS -l:libllama-common.so -l:libllama.v0.4.0.so -l:libggml.v0.4.0.so -l:libggml-base.so
fi
gcc -O2 -Wall -std=c11 -I$S/include -I$S/ggml/include "$HERE/llama_logits.c" -o build/llama_logits \
  -L$BINS -l:libllama.v0.4.0.so -l:libggml.v0.4.0.so -l:libggml-base.so
for m in small 1B; do
  [ -f models/$m-f16.gguf ] || $PY gen_gguf.py $m models/$m-f16.gguf
done
echo "ready: $P (llama.cpp source $(git -C $S rev-parse --short HEAD), models: $(ls models | tr '\n' ' '))"
