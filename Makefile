# Switchboard — the two commands a fresh machine needs are `make run` and `make test`.
GO        ?= go
BIN       := bin
PKGS      := ./...
# The whole suite, race detector on. -p 2 matches the 2-core machines CI runs on.
TEST_FLAGS ?= -race -count=1 -timeout 20m

.PHONY: all build test run bench lint fmt vet fuzz clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/switchboard ./cmd/switchboard

test: lint
	$(GO) test $(TEST_FLAGS) $(PKGS)

run: build
	$(BIN)/switchboard demo

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
