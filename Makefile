# fieldgate — build, test and run everything, host and rig.
# `make run` and `make test` provision what they need (apt packages, the
# pinned Debian kernel, the guest initramfs) on first use; see hil/.
GO      ?= go
RIG      = $(GO) run ./hil/cmd/rig
export PKGS BENCH HILFLAGS

# CMD reaches the guest as typed: $(value CMD) is not expanded by make (so
# $$HOME stays $$HOME), and single quotes in it are escaped for the shell.
squote = '$(subst ','\'',$(1))'

.PHONY: all build deps test test-host test-hil run hil bench clean

all: build

build:
	$(GO) build -buildvcs=auto -o bin/fieldgate ./cmd/fieldgate

deps:
	$(RIG) provision

test: deps test-host test-hil

test-host:
	$(GO) vet ./...
	$(GO) vet -tags hil ./...
	$(GO) mod tidy -diff
	GOOS=windows $(GO) build ./...
	GOOS=darwin $(GO) build ./...
	$(GO) test -count=1 ./...

# Builds the test binaries of every package that has `//go:build hil` tests
# and runs them inside one guest boot. PKGS='./can ./alg' narrows the set.
test-hil:
	$(RIG) test $(PKGS)

# Runs CMD inside the guest: make hil CMD='fieldgate doctor'
hil: deps
	$(RIG) run -- $(call squote,$(value CMD))

run: deps
	$(RIG) run -- 'sh configs/demo.sh'

bench: deps
	$(GO) test -count=1 -run '^$$' -bench "$${BENCH:-.}" -benchmem ./...
	$(RIG) bench $(PKGS)

clean:
	rm -rf bin
