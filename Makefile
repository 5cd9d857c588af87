# fieldgate — build, test and run everything, host and rig.
# `make run` and `make test` provision what they need (apt packages, the
# pinned Debian kernel, the guest initramfs) on first use; see hil/.
GO      ?= go
RIG      = $(GO) run ./hil/cmd/rig
export PKGS BENCH HILFLAGS

# CMD reaches the guest as typed: $(value CMD) is not expanded by make (so
# $$HOME stays $$HOME), and single quotes in it are escaped for the shell.
squote = '$(subst ','\'',$(1))'

# Where `make install` puts things: $(DESTDIR)$(PREFIX)/bin/fieldgate, the
# man pages in $(MANDIR)/man1, and the bash, zsh and fish completions.
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
# Build outputs: the binary in $(BIN), the man pages in $(MAN).
BIN     ?= bin
MAN     ?= man

.PHONY: all build man install deps test test-host test-hil run hil bench clean screenshots

all: build

build:
	$(GO) build -buildvcs=auto -o $(BIN)/fieldgate ./cmd/fieldgate

# The man pages, generated from the commands' flag definitions:
# $(MAN)/fieldgate.1 and $(MAN)/fieldgate-COMMAND.1.
man: build
	rm -rf $(MAN)
	$(BIN)/fieldgate man -d $(MAN)

install: build man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(DATADIR)/bash-completion/completions \
		$(DESTDIR)$(DATADIR)/zsh/site-functions \
		$(DESTDIR)$(DATADIR)/fish/vendor_completions.d
	install -m 755 $(BIN)/fieldgate $(DESTDIR)$(BINDIR)/fieldgate
	install -m 644 $(MAN)/*.1 $(DESTDIR)$(MANDIR)/man1/
	$(BIN)/fieldgate completion bash > $(DESTDIR)$(DATADIR)/bash-completion/completions/fieldgate
	$(BIN)/fieldgate completion zsh > $(DESTDIR)$(DATADIR)/zsh/site-functions/_fieldgate
	$(BIN)/fieldgate completion fish > $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/fieldgate.fish

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

# Refreshes docs/console.png, the web console's picture in README.md, from
# the console's browser test (headless chromium); the other screenshots go
# to $(BIN)/screenshots.
screenshots:
	$(GO) test -count=1 -run '^TestBrowserConsole$$' ./gateway/console -args -soak=5s -readme-screenshot=$(CURDIR)/docs/console.png

clean:
	rm -rf $(BIN) $(MAN)
