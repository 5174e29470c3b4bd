# Switchboard — the two commands a fresh machine needs are `make run` and `make test`.
GO        ?= go
BIN       := bin
PKGS      := ./...
# The whole suite, race detector on. -p 2 matches the 2-core machines CI runs on.
TEST_FLAGS ?= -race -count=1 -timeout 20m

.PHONY: all build test run bench lint fmt vet fuzz clean e2e-deps

all: build

# Every plugins/<name> with a main.go is a dialect plugin, built as bin/plugins/<name>.
PLUGINS := $(patsubst plugins/%/main.go,%,$(wildcard plugins/*/main.go))

build:
	@mkdir -p $(BIN)/plugins
	$(GO) build -o $(BIN)/switchboard ./cmd/switchboard
	@for p in $(PLUGINS); do echo "$(GO) build -o $(BIN)/plugins/$$p ./plugins/$$p"; $(GO) build -o $(BIN)/plugins/$$p ./plugins/$$p || exit 1; done

test: lint e2e-deps
	$(GO) test $(TEST_FLAGS) $(PKGS)

# The wallboard's browser test (testenv/e2e) needs playwright-core from npm;
# it drives Debian's chromium (apt-get install chromium), never a download.
e2e-deps:
	@if [ ! -d testenv/e2e/node_modules/playwright-core ] && command -v npm >/dev/null 2>&1; then \
		cd testenv/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund; fi

run: build
	$(BIN)/switchboard serve

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

# Short fuzzing pass over every fuzz target (make fuzz FUZZTIME=5m for longer).
FUZZTIME ?= 20s
fuzz:
	$(GO) test ./pkg/acd -run '^$$' -fuzz FuzzEngineCommands -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./pkg/dialer -run '^$$' -fuzz FuzzDialerCommands -fuzztime $(FUZZTIME) -fuzzminimizetime 5s

clean:
	rm -rf $(BIN)

# Integration tests of the Asterisk adapters against a real Asterisk started
# with testenv/compose (without ARI_URL the normal suite runs the same tests
# against the emulator in testenv/asterisk):
#   make test-asterisk ARI_URL=http://127.0.0.1:8088/ari AMI_ADDR=127.0.0.1:5038
.PHONY: test-asterisk
ARI_USER ?= ari
ARI_PASSWORD ?= ari
AMI_USER ?= ami
AMI_SECRET ?= ami
test-asterisk:
	@if [ -z "$(ARI_URL)" ] || [ -z "$(AMI_ADDR)" ]; then \
		echo "test-asterisk needs a real Asterisk: docker compose -f testenv/compose/docker-compose.yml up -d, then"; \
		echo "  make test-asterisk ARI_URL=http://127.0.0.1:8088/ari AMI_ADDR=127.0.0.1:5038"; exit 2; fi
	ARI_URL=$(ARI_URL) ARI_USER=$(ARI_USER) ARI_PASSWORD=$(ARI_PASSWORD) \
	AMI_ADDR=$(AMI_ADDR) AMI_USER=$(AMI_USER) AMI_SECRET=$(AMI_SECRET) \
		$(GO) test -race -count=1 -timeout 10m -v ./adapters/ari/... ./adapters/ami/...

# Regenerates pkg/dialect/dialectpb from pkg/dialect/proto (the generated code
# is committed, so building and testing never need protoc). Needs protoc
# (Debian: apt-get install protobuf-compiler); the Go generators are installed
# at pinned versions into bin/tools.
PROTOC_GEN_GO_VERSION      ?= v1.36.11
PROTOC_GEN_GO_GRPC_VERSION ?= v1.6.2
PROTO_TOOLS := $(abspath $(BIN)/tools)
.PHONY: proto
proto:
	@command -v protoc >/dev/null || { echo "make proto needs protoc: apt-get install protobuf-compiler"; exit 2; }
	GOBIN=$(PROTO_TOOLS) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	GOBIN=$(PROTO_TOOLS) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	protoc -I pkg/dialect/proto \
		--plugin=protoc-gen-go=$(PROTO_TOOLS)/protoc-gen-go \
		--plugin=protoc-gen-go-grpc=$(PROTO_TOOLS)/protoc-gen-go-grpc \
		--go_out=. --go_opt=module=github.com/switchboard-cc/switchboard \
		--go-grpc_out=. --go-grpc_opt=module=github.com/switchboard-cc/switchboard \
		pkg/dialect/proto/switchboard/dialect/v1/*.proto
