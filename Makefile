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
