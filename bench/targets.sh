#!/usr/bin/env bash
# The performance targets, measured with `pompe local` in about 5 minutes:
# three loads of 30 s, an idle cluster for 60 s, and the replicas' memory
# over all of them. Writes bench/results/targets-<date>/targets.md (case,
# command, target, measured, met) with throughput and latency charts.
#
#   bench/targets.sh                          # 30 s per load, 60 s idle
#   DURATION=10s IDLE_DURATION=20s bench/targets.sh
#   TARGET_RSS_MIB=256 POMPE=./pompe bench/targets.sh
#
# Every run must show zero consistency and ordering violations and no
# replica failure: otherwise the script says FAILED and exits 1 (after
# writing targets.md). A missed target is reported, not a failure.
#
# Needs bash and Go only. POMPE=path uses that pompe binary instead of
# building ./cmd/pompe. The load, idle-CPU (2% of one core per replica) and
# memory (300 MiB per replica) limits are the project's targets; the idle
# traffic and idle RSS-growth limits are this suite's own (TARGET_*
# variables).
set -euo pipefail

DURATION=${DURATION:-30s}
IDLE_DURATION=${IDLE_DURATION:-60s}
INFLIGHT=${INFLIGHT:-1}
PAYLOAD=${PAYLOAD:-64}
TARGET_POMPE_B1_PER_S=${TARGET_POMPE_B1_PER_S:-12500}
TARGET_POMPE_B1_P50_MS=${TARGET_POMPE_B1_P50_MS:-20}
TARGET_POMPE_B1000_PER_S=${TARGET_POMPE_B1000_PER_S:-200000}
TARGET_HOTSTUFF_B200_PER_S=${TARGET_HOTSTUFF_B200_PER_S:-110000}
TARGET_IDLE_CPU_CORES=${TARGET_IDLE_CPU_CORES:-0.02}
TARGET_IDLE_BYTES_PER_S=${TARGET_IDLE_BYTES_PER_S:-1024}
TARGET_IDLE_RSS_GROWTH_MIB=${TARGET_IDLE_RSS_GROWTH_MIB:-16}
TARGET_RSS_MIB=${TARGET_RSS_MIB:-300}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
results=${RESULTS:-$repo/bench/results/targets-$(date +%Y-%m-%d)}
if [[ -e $results ]]; then
	results=$repo/bench/results/targets-$(date +%Y-%m-%d-%H%M%S)
fi
mkdir -p "$results/runs" "$results/plots"
load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
started=$(date +%s)

bin=$results/pompe
plot=$results/plot
if [[ -n ${POMPE:-} ]]; then
	echo "using the pompe binary $POMPE"
	cp "$POMPE" "$bin"
else
	echo "building pompe into $bin"
	(cd "$repo" && go build -o "$bin" ./cmd/pompe)
fi
(cd "$repo" && go build -o "$plot" ./experiments/plot)
# report --plot runs the pompe-charts next to pompe.
(cd "$repo" && go build -o "$results/pompe-charts" ./cmd/pompe-charts)

bad_runs=()
retried=()
load_dirs=()
all_summaries=()
declare -A commands

# run LABEL FLAG...: one `pompe local --json` run into runs/LABEL, summary in
# runs/LABEL.json, progress and table in runs/LABEL.txt.
run() {
	local label=$1
	shift
	local out=$results/runs/$label
	commands[$label]="pompe local $*"
	echo "== $label: ${commands[$label]}"
	local rc attempt
	# A run without a summary could not start (say, a port taken meanwhile by
	# another process): it is tried once more. A run with one never is.
	for attempt in 1 2; do
		rc=0
		rm -rf "$out"
		"$bin" local --json --out "$out" "$@" >"$out.json" 2>"$out.txt" || rc=$?
		tail -n 5 "$out.txt" | sed 's/^/   /'
		rm -rf "$out"/testnet/node*/data
		if [[ -s $out.json || $attempt -eq 2 ]]; then
			break
		fi
		cp "$out.txt" "$out.attempt1.txt"
		retried+=("$label")
		echo "   no summary (exit $rc); trying once more (first attempt: runs/$label.attempt1.txt)"
	done
	if [[ ! -s $out.json ]]; then
		echo "   FAILED: no summary (exit $rc; see runs/$label.txt)"
		bad_runs+=("$label (no summary, exit $rc)")
		rm -f "$out.json"
		return
	fi
	all_summaries+=("$out.json")
	local field verdict
	for field in consistency_violations ordering_violations; do
		verdict=$("$plot" target "$field" "<=" 0 "$out.json")
		if [[ ${verdict##*$'\t'} != yes ]]; then
			bad_runs+=("$label ($field ${verdict%%$'\t'*})")
		fi
	done
	if [[ $rc -ne 0 ]]; then
		bad_runs+=("$label (exit $rc: violations or replica failures; see runs/$label.txt)")
	fi
}

run pompe-c64-b1 --mode pompe --clients 64 --batch 1 --inflight "$INFLIGHT" --payload "$PAYLOAD" --duration "$DURATION"
run pompe-c4-b1000 --mode pompe --clients 4 --batch 1000 --inflight "$INFLIGHT" --payload "$PAYLOAD" --duration "$DURATION"
run hotstuff-c4-b200 --mode hotstuff --clients 4 --batch 200 --inflight "$INFLIGHT" --payload "$PAYLOAD" --duration "$DURATION"
for label in pompe-c64-b1 pompe-c4-b1000 hotstuff-c4-b200; do
	if [[ -f $results/runs/$label/run/load.json ]]; then
		load_dirs+=("$results/runs/$label")
	fi
done
run idle --mode pompe --clients 0 --duration "$IDLE_DURATION"

if [[ ${#load_dirs[@]} -gt 0 ]]; then
	"$bin" report "${load_dirs[@]}" --plot "$results/plots" >"$results/report.txt" 2>&1 || echo "pompe report failed: see report.txt"
fi

# row CASE LABEL DESCRIPTION FIELD OP LIMIT [SUMMARY...]: one table row; the
# summaries default to runs/LABEL.json.
row() {
	local case=$1 label=$2 what=$3 field=$4 op=$5 limit=$6
	shift 6
	local files=("$@") command measured met verdict
	if [[ ${#files[@]} -eq 0 && -f $results/runs/$label.json ]]; then
		files=("$results/runs/$label.json")
	fi
	command=${commands[$label]:-"(all runs above)"}
	if [[ ${#files[@]} -eq 0 ]]; then
		measured="not measured (run failed)" met=no
	else
		verdict=$("$plot" target "$field" "$op" "$limit" "${files[@]}")
		measured=${verdict%%$'\t'*} met=${verdict##*$'\t'}
		if [[ $met == - ]]; then
			measured="not reported by this pompe" met="unknown"
		fi
	fi
	echo "| $case | \`$command\` | $what $op $limit | $measured | $met |"
}

cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
table=$(
	echo "| case | command | target | measured | met |"
	echo "|---|---|---|---:|---|"
	row "Pompe, 64 clients, batch 1" pompe-c64-b1 "executed/s" executed_per_s ">=" "$TARGET_POMPE_B1_PER_S"
	row "Pompe, 64 clients, batch 1" pompe-c64-b1 "exec p50 ms" exec_latency_ms.p50 "<=" "$TARGET_POMPE_B1_P50_MS"
	row "Pompe, 4 clients, batch 1000" pompe-c4-b1000 "executed/s" executed_per_s ">=" "$TARGET_POMPE_B1000_PER_S"
	row "HotStuff, 4 clients, batch 200" hotstuff-c4-b200 "executed/s" executed_per_s ">=" "$TARGET_HOTSTUFF_B200_PER_S"
	row "Idle cluster, no clients" idle "CPU cores per replica" replica_cpu_cores "<=" "$TARGET_IDLE_CPU_CORES"
	row "Idle cluster, no clients" idle "bytes sent per s, all replicas" net_sent_bytes_per_s "<=" "$TARGET_IDLE_BYTES_PER_S"
	row "Idle cluster, no clients" idle "RSS growth MiB, largest replica" replica_rss_growth_mib "<=" "$TARGET_IDLE_RSS_GROWTH_MIB"
	if [[ ${#all_summaries[@]} -gt 0 ]]; then
		row "Memory, every run above" memory "RSS max MiB, largest replica" replica_rss_max_mib "<=" "$TARGET_RSS_MIB" "${all_summaries[@]}"
	else
		row "Memory, every run above" memory "RSS max MiB, largest replica" replica_rss_max_mib "<=" "$TARGET_RSS_MIB"
	fi
)
{
	echo "# Performance targets, $(date '+%Y-%m-%d %H:%M %Z')"
	echo
	echo "\`bench/targets.sh\`: \`pompe local\` on one machine (4 replicas and every client together), $DURATION per"
	echo "load, $IDLE_DURATION idle, $INFLIGHT batch(es) in flight per client, $PAYLOAD-byte puts. Ran in"
	echo "$(($(date +%s) - started)) s. Machine: ${cpu:-unknown CPU}, $(nproc) CPUs, load average before the run"
	echo "$load_before, $(go version | cut -d' ' -f3-), commit $commit."
	echo
	echo "$table"
	echo
	echo "A throughput target holds the run's executed commands per second over the window; latencies are"
	echo "from a command's first send to f+1 matching results. Idle and memory figures come from the runs'"
	echo "resource samples (every replica, each second, from /proc and its metrics endpoint): CPU cores is"
	echo "the mean per replica, bytes sent counts all replicas (TLS included), RSS is the largest replica's."
	echo "\"unknown\": the pompe binary did not report that figure."
	echo
	if [[ ${#all_summaries[@]} -gt 0 ]]; then
		echo "Runs:"
		echo
		"$plot" table --columns "mode:mode,clients:clients,batch:batch,duration_s:s,executed_per_s:executed/s,exec_latency_ms.p50:exec p50,exec_latency_ms.p99:exec p99,order_latency_ms.p50:order p50,replica_cpu_cores:CPU cores,replica_cpu_us_per_cmd:CPU µs/cmd,replica_rss_max_mib:RSS max MiB,net_bytes_per_cmd:B/cmd,consistency_violations:cons. viol.,ordering_violations:order viol." "${all_summaries[@]}"
		echo
	fi
	if [[ ${#bad_runs[@]} -eq 0 ]]; then
		echo "Every run: 0 consistency violations, 0 ordering violations, no replica failure."
	else
		echo "**FAILED: ${bad_runs[*]}.** See runs/<label>.txt."
	fi
	if [[ ${#retried[@]} -gt 0 ]]; then
		echo
		echo "Started twice (the first attempt ended without a summary, see runs/<label>.attempt1.txt): ${retried[*]}."
	fi
	echo
	for chart in throughput latency_cdf latency_over_time pompe_vs_hotstuff; do
		if [[ -f $results/plots/$chart.png ]]; then
			echo "- [$chart](plots/$chart.svg)"
			echo
			echo "  ![$chart](plots/$chart.png)"
			echo
		fi
	done
	echo "Charts from \`pompe report --plot\` over the three loads; full tables in report.txt; per-run output"
	echo "in runs/<label>.txt, summaries (with every resource sample) in runs/<label>.json."
} >"$results/targets.md"
rm -f "$bin" "$plot" "$results/pompe-charts"

echo
echo "$table"
echo
echo "targets: $results/targets.md"
if [[ ${#bad_runs[@]} -gt 0 ]]; then
	echo >&2
	echo "FAILED: every run must show zero violations and no replica failure:" >&2
	printf '  %s\n' "${bad_runs[@]}" >&2
	exit 1
fi
