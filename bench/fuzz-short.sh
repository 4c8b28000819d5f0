#!/usr/bin/env bash
# Runs every fuzz target for a few seconds (FUZZTIME, default 5s), for a
# longer look than the test suite's own. The suite already fuzzes every
# target it discovers for 2 s each: TestShortFuzz in test/fuzz, part of
# `go test ./...` (skipped with -short). The committed seed corpora under
# testdata/fuzz also run on every plain `go test`.
#
#   bench/fuzz-short.sh            # all targets, 5 s each
#   FUZZTIME=30s bench/fuzz-short.sh
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-5s}"
targets=(
	"./internal/wire FuzzDecodeMessage"
	"./internal/wire FuzzDecodeClientMessage"
	"./internal/wire FuzzDecodeBatch"
	"./internal/wire FuzzReadFrame"
	"./internal/tsproof FuzzRootOf"
	"./internal/tsproof FuzzVerifyProof"
	"./internal/ordering FuzzSequenceRequest"
	"./internal/ordering FuzzValidateSlot"
	"./internal/ordering FuzzOrderingMessages"
	"./internal/config FuzzParseConfig"
	"./internal/config FuzzParseGenesis"
	"./pkg/client FuzzClientReplies"
	"./internal/batch FuzzDecode"
	"./internal/hotstuff FuzzStep"
	"./pkg/app/kvstore FuzzDecode"
	"./pkg/app/kvstore FuzzDecodeResult"
	"./pkg/app/kvstore FuzzRestore"
)
failed=0
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	echo "== $pkg $name ($fuzztime)"
	# Minimizing each new input would eat the short budget of slow targets.
	if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime 100x "$pkg"; then
		echo "FAILED: $pkg $name (the failing input is under $pkg/testdata/fuzz/$name)"
		failed=1
	fi
done
exit "$failed"
