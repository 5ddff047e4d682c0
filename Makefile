# chatumm — common tasks. This file is the one list of what CI tests:
# .ci/run installs the tools and runs `make ci-all`.
GO ?= go
QEMU ?= qemu-aarch64
STATICCHECK ?= staticcheck
# The staticcheck release that supports Go 1.26 (`make tools` installs it).
STATICCHECK_VERSION ?= v0.8.2
# Scratch output (gitignored); no target here writes a tracked file.
BUILD ?= build

.PHONY: build build-nocgo test test-quality test-race test-paths test-arm64 vet fmt-check tidy-check \
	staticcheck tools fuzz fuzz-ci clients bench bench-kernels eval ci-all ci

build:
	CGO_ENABLED=0 $(GO) build -o chatumm ./cli/chatumm

# The README's test command: correctness only, reads nothing outside testdata/.
test:
	$(GO) test ./...

# What the embedded model answers and draws (a retrain may move it);
# CHATUMM_TEST_MODEL=DIR checks a candidate export instead.
test-quality:
	$(GO) test -count=1 -tags quality ./model/embedded

test-race:
	$(GO) test -race -count=1 ./...

# The cgo-free build on both architectures.
build-nocgo:
	CGO_ENABLED=0 $(GO) build ./...
	CGO_ENABLED=0 GOARCH=arm64 $(GO) build ./...

# Every amd64 kernel path, forced one at a time, plus the pure-Go build.
# avx512 only where the CPU has it: forcing a path the CPU lacks fails by
# design, so the probe asks the binary (`inspect --cpu` exits 1 then).
test-paths:
	@paths="generic avx2"; \
	if CHATUMM_CPU=avx512 $(GO) run ./cli/chatumm inspect --cpu >/dev/null 2>&1; then paths="$$paths avx512"; \
	else echo "CHATUMM_CPU=avx512 skipped: this CPU has no AVX-512"; fi; \
	for cpu in $$paths; do \
		echo "CHATUMM_CPU=$$cpu go test ./asm ./ops"; CHATUMM_CPU=$$cpu $(GO) test -count=1 ./asm ./ops || exit 1; \
	done
	$(GO) test -count=1 -tags purego ./asm ./ops

# NEON kernels under qemu, with (-cpu max) and without (cortex-a57, ARMv8.0)
# fp16 arithmetic.
test-arm64:
	GOARCH=arm64 $(GO) test -count=1 -exec '$(QEMU) -cpu max' ./asm ./ops
	GOARCH=arm64 $(GO) test -count=1 -exec '$(QEMU) -cpu cortex-a57' ./asm ./ops

vet:
	$(GO) vet ./...
	$(GO) vet -tags quality ./model/embedded
	GOARCH=arm64 $(GO) vet ./...
	cd tools/gonumbench && $(GO) vet .

fmt-check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "not gofmt'd:"; echo "$$out"; exit 1; fi

# go.mod and go.sum must already be tidy (CI builds with -mod=readonly).
tidy-check:
	$(GO) mod tidy -diff
	cd tools/gonumbench && $(GO) mod tidy -diff

staticcheck:
	$(STATICCHECK) ./...
	$(STATICCHECK) -tags quality ./model/embedded

tools:
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

# Every parser of user-supplied input has a fuzz target: `make fuzz` runs
# each for FUZZTIME (minutes locally), `make fuzz-ci` briefly.
FUZZ_TARGETS = \
	FuzzSafetensorsHeader:./weights FuzzGGUF:./weights \
	FuzzParseConfig:./model FuzzParseConfig:./model/vqgan FuzzParseSession:./model/session \
	FuzzTokenizerJSON:./model/tokenizer FuzzRoundTrip:./model/tokenizer FuzzSample:./model/sample \
	FuzzReadImage:./model/imageio FuzzParseScript:./cli FuzzParseCodeText:./cli \
	FuzzLineReader:./cli FuzzPrintable:./cli
FUZZTIME ?= 2m

# -fuzzminimizetime bounds the minimisation of large seeds (tokenizer files).
fuzz:
	for t in $(FUZZ_TARGETS); do \
		$(GO) test -run XXX -fuzz "^$${t%%:*}$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10x $${t#*:} || exit 1; \
	done

# fuzz-ci counts executions instead of seconds: with a duration, Go 1.26's fuzz
# coordinator can report a spurious "context deadline exceeded" failure at the
# deadline with no crashing input (golang/go#75804, fixed in Go 1.27); a count
# never races a clock. 20000 runs take 1-7 s per target on 2 cores.
fuzz-ci:
	$(MAKE) fuzz FUZZTIME=20000x

# The real clients against a fresh build: the openai and ollama npm
# packages, the web page in headless chromium, a loopback load test
# (needs node/npm and Debian's chromium; never part of `go test`).
clients:
	bash tools/clients/run.sh

bench:
	$(GO) test -run XXX -bench . -benchtime 1s ./asm ./ops

bench-kernels: build
	./chatumm bench kernels

# The embedded model on the held-out test set and on the natural-language dev
# set (needs /usr/bin/python3 with numpy and PIL); results go to $(BUILD)/eval/,
# the shipped model's figures stay in tools/eval/results-s36.json and
# results-s36-nl.json.
eval: build
	mkdir -p $(BUILD)/eval
	/usr/bin/python3 tools/eval/eval_binary.py --binary ./chatumm --json $(BUILD)/eval/results.json
	/usr/bin/python3 tools/eval/eval_nl.py --binary ./chatumm --json $(BUILD)/eval/results-nl.json

# Everything CI checks, cheapest first.
ci-all: fmt-check tidy-check vet build-nocgo test test-quality test-race test-paths test-arm64 staticcheck fuzz-ci

ci:
	bash .ci/run
