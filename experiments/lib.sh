# Shared by the experiment scripts (sourced, not run): building pompe and the
# plot program once, one `pompe local` run per setting, and the notes every
# results.md carries. Needs bash and Go only.
#
# A script sets NAME, sources this file, calls exp_init, then exp_run for
# every setting, then writes results.md from $summaries with $plot.

set -euo pipefail

DURATION=${DURATION:-15s}
CLIENTS=${CLIENTS:-4}
INFLIGHT=${INFLIGHT:-4}
PAYLOAD=${PAYLOAD:-64}
READY_TIMEOUT=${READY_TIMEOUT:-60s}
# POMPE=path uses that pompe binary instead of building ./cmd/pompe.

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# bench_pompe: a copy of $POMPE, or pompe built from this checkout.
source "$repo/bench/lib.sh"

# exp_init NAME: the results directory (RESULTS, else experiments/results/NAME,
# with a time suffix if that exists already), the binaries, the setup notes.
exp_init() {
	local name=$1
	results=${RESULTS:-$repo/experiments/results/$name}
	if [[ -e $results ]]; then
		results=$results-$(date +%Y-%m-%d-%H%M%S)
	fi
	mkdir -p "$results/runs" "$results/plots"
	bin=$results/pompe
	plot=$results/plot
	bench_pompe "$bin"
	echo "building pompe-charts and the plot program into $results"
	(cd "$repo" && go build -o "$plot" ./experiments/plot)
	# report --plot runs the pompe-charts next to pompe.
	(cd "$repo" && go build -o "$results/pompe-charts" ./cmd/pompe-charts)
	summaries=()
	dirs=()
	failed=()
	retried=()
	started=$(date +%s)
	exp_differences | sed 's/^/# /'
	echo
}

# exp_differences says how this setup differs from the paper's.
exp_differences() {
	cat <<-EOT
	Differences from the paper's setup (OSDI'20, section 6):
	- One $(nproc)-CPU machine runs every replica and every client; the paper used separate cloud
	  machines for the replicas and for the clients. Replicas, clients and disk share these CPUs,
	  so absolute numbers are far lower and a larger n costs CPU as much as network.
	- WAN runs emulate the four regions' one-way delays and jitter (wan/four-regions.toml) in user
	  space, in the link emulator of the transport; the paper's replicas ran in real regions.
	- Every signature is produced and verified and every safety write is synced to disk; the
	  paper's prototype skipped verification and persistence.
	- Runs are $DURATION long (the paper's were 30 s or more), $CLIENTS closed-loop clients with
	  $INFLIGHT batches in flight each, $PAYLOAD-byte put commands.
	EOT
}

# exp_run LABEL FLAG...: one `pompe local` run into runs/LABEL; its JSON
# summary goes to runs/LABEL.json and its progress and table to
# runs/LABEL.txt. The replicas' stores are deleted afterwards (the
# execution logs are under run/ already). A run that ends without a
# summary (it could not start: a port taken meanwhile by another process on
# a shared machine) is tried once more, and results.md lists the retry; a
# run with a summary is never repeated, whatever it shows.
exp_run() {
	local label=$1
	shift
	local out=$results/runs/$label
	local attempt rc
	for attempt in 1 2; do
		echo "== $label: pompe local $* --duration $DURATION"
		rc=0
		rm -rf "$out"
		"$bin" local --json --out "$out" --duration "$DURATION" --clients "$CLIENTS" --inflight "$INFLIGHT" \
			--payload "$PAYLOAD" --ready-timeout "$READY_TIMEOUT" "$@" >"$out.json" 2>"$out.txt" || rc=$?
		tail -n 4 "$out.txt" | sed 's/^/   /'
		rm -rf "$out"/testnet/node*/data
		if [[ -s $out.json || $attempt -eq 2 ]]; then
			break
		fi
		cp "$out.txt" "$out.attempt1.txt"
		retried+=("$label: $(tail -n 1 "$out.txt" | cut -c1-300)")
		echo "   no summary (exit $rc); trying once more (first attempt's output: runs/$label.attempt1.txt)"
	done
	if [[ $rc -ne 0 ]]; then
		echo "   FAILED (exit $rc; see runs/$label.txt)"
		failed+=("$label")
	fi
	if [[ -s $out.json ]]; then
		summaries+=("$out.json")
		dirs+=("$out")
	else
		rm -f "$out.json"
	fi
}

# exp_report: `pompe report` over the runs (report.txt, its Markdown rows,
# and its charts in plots/report/).
exp_report() {
	if [[ ${#dirs[@]} -eq 0 ]]; then
		echo "no run produced a summary" >&2
		return 1
	fi
	"$bin" report "${dirs[@]}" --plot "$results/plots/report" >"$results/report.txt" 2>&1 || echo "pompe report failed: see report.txt"
}

# exp_chart NAME FLAG...: one chart (PNG and SVG) in plots/.
exp_chart() {
	local name=$1
	shift
	"$plot" chart --out "$results/plots" --name "$name" "$@" "${summaries[@]}"
}

# exp_header TITLE: the top of results.md (title, machine, commit, setup notes).
exp_header() {
	local cpu commit
	cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)
	commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
	echo "# $1"
	echo
	echo "Run $(date '+%Y-%m-%d %H:%M %Z') in $(($(date +%s) - started)) s. Machine: ${cpu:-unknown CPU},"
	echo "$(nproc) CPUs, load average before the run ${load_before:-unknown}, $(go version | cut -d' ' -f3-),"
	echo "commit $commit."
	echo
	exp_differences
	echo
}

# exp_violations_note: a line on the checker's verdict over every run.
exp_violations_note() {
	echo
	if [[ ${#failed[@]} -eq 0 ]]; then
		echo "Every run passed the checker: 0 consistency and 0 ordering violations, no replica failure."
	else
		echo "**${#failed[@]} run(s) failed** (violations, replica failures or no summary): ${failed[*]}; see runs/<label>.txt."
	fi
	if [[ ${#retried[@]} -gt 0 ]]; then
		echo
		echo "Started twice (the first attempt ended without a summary; its output is runs/<label>.attempt1.txt):"
		echo
		local r
		for r in "${retried[@]}"; do
			echo "- ${r//|/\\|}"
		done
	fi
}

# exp_plots_list NAME...: Markdown links and images of the charts drawn.
exp_plots_list() {
	local chart
	for chart in "$@"; do
		if [[ -f $results/plots/$chart.png ]]; then
			echo "- [$chart](plots/$chart.svg)"
			echo
			echo "  ![$chart](plots/$chart.png)"
			echo
		fi
	done
	echo
	echo "\`pompe report\` over the runs: report.txt, charts in plots/report/ (latency CDF, throughput and"
	echo "latency over time). Per-run output: runs/<label>.txt; summaries: runs/<label>.json."
}

# exp_finish: remove the binaries, print where results.md is, fail if a run did.
exp_finish() {
	rm -f "$bin" "$plot" "$results/pompe-charts"
	echo
	echo "results: $results/results.md"
	[[ ${#failed[@]} -eq 0 ]]
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
