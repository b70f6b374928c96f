# Thin wrapper over the go tool. `make example` and `make test` are the two
# commands of the README's quick start.
GO      ?= go
BIN     ?= bin/lstmctl
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
EXAMPLE := examples/topics

.PHONY: all build test bench speed fuzz lint example accuracy glove clean onnx-proto

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/lstmctl

# The whole test suite (what CI runs): vet, tests, and all again with the
# pure-Go kernels (-tags noasm).
test:
	$(GO) vet ./...
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -tags noasm ./...

# Go benchmarks (kernels GFLOP/s, LSTM step, training step, prediction), then
# whole-process training on TREC and 20NG and prediction lines/s.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/kernels ./pkg/...
	$(GO) run ./scripts/speed

# The side-by-side table of the README: lstmctl beside the PyTorch peer
# (python3-torch), padded and packed, 1 and 2 threads.
speed:
	$(GO) run ./scripts/speed -peer

# Runs every fuzz target for FUZZTIME each.
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt -l:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Quick start: train on the shipped example, evaluate it, predict with it.
example: build
	$(BIN) train --train $(EXAMPLE)/train.txt --test $(EXAMPLE)/test.txt --model $(EXAMPLE)/model.safetensors
	$(BIN) eval --model $(EXAMPLE)/model.safetensors --data $(EXAMPLE)/test.txt
	$(BIN) predict --model $(EXAMPLE)/model.safetensors --top-k 2 < $(EXAMPLE)/unlabelled.txt

# Test accuracy on the shared data sets (-data DIR) beside fastText (Debian package fasttext;
# the configs fetch GloVe on first use);
# add ACCURACY_FLAGS=-peer for the PyTorch peer (python3-torch), or
# ACCURACY_FLAGS="-fasttext -vectors glove.6B.100d" to start every model
# (the defaults' and fastText's too) from GloVe.
ACCURACY_FLAGS ?= -fasttext
accuracy:
	$(GO) run ./scripts/accuracy $(ACCURACY_FLAGS)

# Fetches GloVe 6B 100d, which the configs of the shared sets name, into
# lstmctl's cache ahead of the first training (internal/pretrained): 341 479
# lower-cased words, a 118 MB download, about 300 MB on disk.
glove: build
	$(BIN) vectors fetch glove.6B.100d

# Regenerates the CLI reference in docs/cli from the cobra commands; the test
# without -update fails when docs/cli is stale.
.PHONY: docs
docs:
	$(GO) test ./cmd/lstmctl -run TestCLIReference -update

# Regenerates internal/onnx/onnx.pb.go from internal/onnx/onnx.proto (the
# ONNX specification's, as Debian's python3-onnx ships it) with protoc (Debian's
# protobuf-compiler) and protoc-gen-go, installed into bin/.
PROTOC_GEN_GO := google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
onnx-proto:
	GOBIN=$(CURDIR)/bin $(GO) install $(PROTOC_GEN_GO)
	protoc --plugin=protoc-gen-go=bin/protoc-gen-go --go_out=internal/onnx \
	  --go_opt=paths=source_relative \
	  --go_opt=Monnx.proto=github.com/lstmctl/lstmctl/internal/onnx \
	  -I internal/onnx onnx.proto

clean:
	rm -rf bin $(EXAMPLE)/model.safetensors
