#!/usr/bin/env bash
# Sweep batch sizes in both modes with `pompe local`, then aggregate the runs
# with `pompe report` into bench/results/<date>/report.md and charts.
#
#   bench/sweep.sh                      # 10 s per run, batches 1 10 100 1000, pompe and hotstuff
#   DURATION=30s bench/sweep.sh
#   BATCHES="1 100" MODES=pompe CLIENTS=8 INFLIGHT=8 bench/sweep.sh
#
# Needs bash and Go only. Each run's directory (testnet keys, client records,
# replica logs) is kept under <results>/runs/; the replicas' stores are
# deleted after each run to save space (their execution logs are copied
# into run/ first).
set -euo pipefail

DURATION=${DURATION:-10s}
BATCHES=${BATCHES:-"1 10 100 1000"}
MODES=${MODES:-"pompe hotstuff"}
CLIENTS=${CLIENTS:-4}
INFLIGHT=${INFLIGHT:-4}
PAYLOAD=${PAYLOAD:-64}
NODES=${NODES:-4}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
stamp=$(date +%Y-%m-%d)
results=${RESULTS:-$repo/bench/results/$stamp}
if [[ -e $results ]]; then
	results=$repo/bench/results/$(date +%Y-%m-%d-%H%M%S)
fi
mkdir -p "$results/runs" "$results/plots"

bin=$results/pompe
echo "building pompe and pompe-charts (which report --plot runs) into $results"
(cd "$repo" && go build -o "$bin" ./cmd/pompe && go build -o "$results/pompe-charts" ./cmd/pompe-charts)

dirs=()
failed=0
for mode in $MODES; do
	for batch in $BATCHES; do
		out=$results/runs/$mode-b$batch
		echo "== $mode, batch $batch, $DURATION"
		if ! "$bin" local --mode "$mode" --batch "$batch" --duration "$DURATION" --nodes "$NODES" \
			--clients "$CLIENTS" --inflight "$INFLIGHT" --payload "$PAYLOAD" --out "$out" \
			>"$out.txt" 2>&1; then
			echo "   FAILED (see $out.txt)"
			failed=$((failed + 1))
		fi
		tail -n 6 "$out.txt" | sed 's/^/   /'
		rm -rf "$out"/testnet/node*/data
		if [[ -f $out/run/load.json ]]; then
			dirs+=("$out")
		fi
	done
done
if [[ ${#dirs[@]} -eq 0 ]]; then
	echo "no run produced records" >&2
	exit 1
fi

"$bin" report "${dirs[@]}" --plot "$results/plots" >"$results/report.txt"
table=$("$bin" report "${dirs[@]}" --markdown)

cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
{
	echo "# Batch sweep, $(date '+%Y-%m-%d %H:%M %Z')"
	echo
	echo "\`pompe local\`: $NODES replicas and $CLIENTS clients on one machine, closed loop with $INFLIGHT batches"
	echo "in flight per client, $PAYLOAD-byte puts, $DURATION per run. Latencies from a command's first send;"
	echo "ordering = 2f+1 sequence acks (Pompe only), execution = f+1 matching results."
	echo
	echo "Machine: ${cpu:-unknown CPU}, $(nproc) CPUs, $(go version | cut -d' ' -f3-), commit $commit."
	echo
	echo "$table"
	echo
	echo "Charts (PNG and SVG in plots/):"
	echo
	for chart in pompe_vs_hotstuff latency_cdf throughput latency_over_time; do
		if [[ -f $results/plots/$chart.png ]]; then
			echo "- [$chart](plots/$chart.svg)"
			echo
			echo "  ![$chart](plots/$chart.png)"
		fi
	done
	echo
	echo "Full tables: report.txt; per-run output: runs/*.txt; records: runs/*/run/."
	if [[ $failed -gt 0 ]]; then
		echo
		echo "**$failed run(s) failed**; see runs/*.txt."
	fi
} >"$results/report.md"
rm -f "$bin" "$results/pompe-charts"

echo
echo "$table"
echo
echo "report: $results/report.md"
[[ $failed -eq 0 ]]
