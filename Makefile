# chatumm — common tasks. `make test` is what CI runs first.
GO ?= go
QEMU ?= qemu-aarch64

.PHONY: build test test-arm64 test-paths bench bench-kernels fuzz eval ci

build:
	CGO_ENABLED=0 $(GO) build -o chatumm ./cli/chatumm

test:
	$(GO) test ./...

# Every amd64 kernel path, forced one at a time, plus the pure-Go build.
test-paths:
	for cpu in generic avx2 avx512; do CHATUMM_CPU=$$cpu $(GO) test -count=1 ./asm ./ops || exit 1; done
	$(GO) test -count=1 -tags purego ./asm ./ops

# NEON kernels under qemu, with and without fp16 arithmetic.
test-arm64:
	GOARCH=arm64 $(GO) test -count=1 -exec '$(QEMU) -cpu max' ./asm ./ops
	GOARCH=arm64 $(GO) test -count=1 -exec '$(QEMU) -cpu cortex-a57' ./asm ./ops

bench:
	$(GO) test -run XXX -bench . -benchtime 1s ./asm ./ops

bench-kernels: build
	./chatumm bench kernels

fuzz:
	$(GO) test -run XXX -fuzz FuzzSafetensorsHeader -fuzztime 2m ./weights
	$(GO) test -run XXX -fuzz FuzzGGUF -fuzztime 2m ./weights

eval: build
	/usr/bin/python3 tools/eval/eval_binary.py --binary ./chatumm --json tools/eval/results-binary.json

ci:
	bash .ci/run
