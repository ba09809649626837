# Ovi — build, test, lint, bench. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
GO ?= go
GOLANGCI_VERSION := v2.15.0
TOOLS := $(CURDIR)/.tools
GOLANGCI := $(TOOLS)/golangci-lint-$(GOLANGCI_VERSION)
BIN := $(CURDIR)/bin
OVI := $(BIN)/ovi
PKGS := ./...

.PHONY: all build vet lint lint-untyped unit e2e chromium ui-screenshots test bench bench-peers peers fuzz demo clean verify-systemd

all: build

build:
	$(GO) build -o $(OVI) ./cmd/ovi

vet:
	$(GO) vet $(PKGS)

$(GOLANGCI):
	@mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)
	mv $(TOOLS)/golangci-lint $(GOLANGCI)

# House rule "strictly typed": no map[string]interface{} / map[string]any
# outside tests (linters see identifiers, not type expressions, so grep).
lint-untyped:
	@bad=$$(git ls-files '*.go' | grep -v '_test.go$$' | xargs -r grep -nE 'map\[string\](interface\{\}|any)' || true); \
	if [ -n "$$bad" ]; then echo "untyped maps are not allowed:"; echo "$$bad"; exit 1; fi

lint: $(GOLANGCI) lint-untyped
	$(GOLANGCI) run --allow-parallel-runners --build-tags e2e $(PKGS)

unit:
	$(GO) test -race -count=1 -timeout 15m $(PKGS)

# End-to-end tests start real ovi processes from bin/ovi: the cluster's
# (cluster/e2e), the users' story and README quick start (cmd/ovi/e2e), the
# fault suite (cluster/faults: kill -9, partitions; docs/reliability.md), and
# the web UI in headless Chromium (transport/webui/e2e).
e2e: build chromium
	OVI_BIN=$(OVI) $(GO) test -count=1 -timeout 20m -tags e2e ./cluster/e2e/ ./cmd/ovi/e2e/ ./cluster/faults/ ./transport/webui/e2e/

# The web UI's browser tests drive Debian's chromium; install it if missing.
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

# The screenshots of docs/ui/ (the README shows them), taken by the UI's
# browser test.
ui-screenshots: build chromium
	OVI_BIN=$(OVI) OVI_UI_SCREENSHOTS=$(CURDIR)/docs/ui $(GO) test -count=1 -tags e2e -run TestWebUI ./transport/webui/e2e/

# The README's first command: the main job on the embedded default (a dev
# agent with a simulated EC2), narrated; see scripts/demo.sh.
demo: build
	scripts/demo.sh $(OVI)

# systemd-analyze comes with Debian's systemd package; install it if missing.
verify-systemd: build
	@command -v systemd-analyze >/dev/null || (apt-get update -qq && apt-get install -y -qq systemd >/dev/null)
	@tmp=$$(mktemp -d) && sed 's#/usr/local/bin/ovi#$(OVI)#' deploy/systemd/ovi.service > $$tmp/ovi.service && \
	out=$$(systemd-analyze verify $$tmp/ovi.service 2>&1); rc=$$?; rm -rf $$tmp; \
	if [ $$rc -ne 0 ] || [ -n "$$out" ]; then echo "$$out"; echo "deploy/systemd/ovi.service: systemd-analyze verify failed"; exit 1; fi; \
	echo "deploy/systemd/ovi.service: verified"

# promtool comes with Debian's prometheus package; install it if missing.
# It checks the alert rules and runs their unit tests; the e2e test
# TestMonitoringUsesOnlyExportedMetrics (cmd/ovi/e2e) checks the names the
# rules and the dashboard query against a real agent's /metrics.
verify-monitoring:
	@command -v promtool >/dev/null || (apt-get update -qq && apt-get install -y -qq prometheus >/dev/null)
	promtool check rules deploy/monitoring/ovi-alerts.yml
	cd deploy/monitoring && promtool test rules ovi-alerts.test.yml

test: build vet lint verify-systemd verify-monitoring unit e2e

bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./wal/ ./mvcc/ ./fsm/

# The peers Ovi is measured against (issue 14), pinned: the etcd server and
# its benchmark tool as Go modules (cluster/benchpeers/etcdtools/go.mod),
# built into .tools/etcd-$(ETCD_VERSION)/; bench-peers itself runs the raw
# hashicorp/raft nodes (raft-boltdb/v2 and raft-wal) as its own subcommand.
ETCD_VERSION := v3.7.1
ETCD_TOOLS := $(TOOLS)/etcd-$(ETCD_VERSION)
BENCH_PEERS := $(TOOLS)/bench-peers
BENCH_PEERS_FLAGS ?= -rounds 3
# The shared machine's "run alone" wrapper (waits for idle CPUs, prints the
# idle figure); absent elsewhere, where the run starts at once.
ALONE ?= $(wildcard $(CURDIR)/../shared/tools/alone)

$(ETCD_TOOLS)/etcd:
	@mkdir -p $(ETCD_TOOLS)
	cd cluster/benchpeers/etcdtools && GOBIN=$(ETCD_TOOLS) $(GO) install \
		go.etcd.io/etcd/server/v3 go.etcd.io/etcd/v3/tools/benchmark ./etcd-rev
	mv $(ETCD_TOOLS)/server $(ETCD_TOOLS)/etcd

peers: $(ETCD_TOOLS)/etcd build
	$(GO) build -o $(BENCH_PEERS) ./cluster/benchpeers/cmd/bench-peers

# Interleaved rounds of raw hashicorp/raft, etcd and Ovi (three processes
# each, fresh data dirs, fsync on, 256-byte values, 127.0.0.1), one table
# on stdout; docs/benchmarks.md#peers. Minutes, not part of `make test`;
# the harness's own tests are (./cluster/benchpeers/).
bench-peers: peers
	$(ALONE) $(BENCH_PEERS) -ovi $(OVI) -etcd-dir $(ETCD_TOOLS) $(BENCH_PEERS_FLAGS)

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecodeBatch -fuzztime 60s ./wal/
	$(GO) test -run '^$$' -fuzz FuzzDecodeRecord -fuzztime 60s ./wal/

clean:
	rm -rf $(BIN)
