# smtplab — the two commands a newcomer needs are `make run` and `make test`.

GO        ?= go
TESTFLAGS ?=
FUZZTIME  ?= 30s
BENCHTIME ?= 1s
VSBENCHTIME ?= 80000x

.PHONY: run test bench fuzz lint build generate

run: ## start smtplab with its defaults (web on 127.0.0.1:8025, SMTP on 2525, POP3 on 1100, POP2 on 1109)
	$(GO) run ./cmd/smtplab

test: ## run every test
	$(GO) test $(TESTFLAGS) ./...

build: ## build the smtplab binary
	$(GO) build -o smtplab ./cmd/smtplab

bench: ## run the benchmarks, then smtplab's SMTP throughput against go-smtp's (x-gosmtp: the ratio)
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...
	@$(GO) test -run '^$$' -bench '^BenchmarkSMTPvsGoSMTP$$' -benchtime $(VSBENCHTIME) ./cmd/smtplab | \
		awk '/^BenchmarkSMTPvsGoSMTP/ { line = "SMTP vs go-smtp (16 connections, 1 KiB):"; \
			for (i = 2; i <= NF; i++) if ($$i ~ /msgs\/s|x-gosmtp/) line = line " " $$(i-1) " " $$i; print line; found = 1 } \
			END { exit !found }'

fuzz: ## run each fuzz target for FUZZTIME (a failing input is written under the package's testdata/fuzz)
	@GO=$(GO) bash .ci/fuzz $(FUZZTIME)

generate: ## regenerate the templ components (web/*_templ.go)
	$(GO) tool templ generate

lint: ## formatting and vet

	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '_templ.go$$')); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
