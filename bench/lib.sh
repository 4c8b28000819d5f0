# Shared by the bench/*.sh scripts (sourced, not run): where results go,
# how pompe is built, how one `pompe local --json` run is made and read.
# Needs bash, awk and Go only.

bench_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# bench_results_dir NAME: bench/results/NAME-<date> (with the time when that
# exists already), or $RESULTS; created with its runs/ directory.
bench_results_dir() {
	local dir=${RESULTS:-$bench_repo/bench/results/$1-$(date +%Y-%m-%d)}
	if [[ -e $dir ]]; then
		dir=$bench_repo/bench/results/$1-$(date +%Y-%m-%d-%H%M%S)
	fi
	mkdir -p "$dir/runs"
	echo "$dir"
}

# bench_pompe BIN: puts the pompe binary at BIN: a copy of $POMPE when set,
# else built from this checkout.
bench_pompe() {
	if [[ -n ${POMPE:-} ]]; then
		echo "using the pompe binary $POMPE"
		cp "$POMPE" "$1"
	else
		echo "building pompe into $1"
		(cd "$bench_repo" && go build -o "$1" ./cmd/pompe)
	fi
}

# field NAME FILE: a number from a one-line JSON summary (0 if absent).
field() {
	local v
	v=$(grep -o "\"$1\":[-0-9.e+]*" "$2" | head -n 1 | cut -d: -f2)
	echo "${v:-0}"
}

# local_run BIN DIR LABEL FLAG...: one `BIN local --json FLAG...` run, its
# summary in DIR/LABEL.json and its output in DIR/LABEL.txt; prints the
# last lines. Sets local_rc to the exit code; returns 1 when there is no
# summary (and removes the empty file).
local_run() {
	local bin=$1 dir=$2 label=$3
	shift 3
	local_rc=0
	echo "== $label: pompe local $*"
	"$bin" local --json "$@" >"$dir/$label.json" 2>"$dir/$label.txt" || local_rc=$?
	tail -n 3 "$dir/$label.txt" | sed 's/^/   /'
	if [[ ! -s $dir/$label.json ]]; then
		echo "   FAILED: no summary (exit $local_rc; see runs/$label.txt)"
		rm -f "$dir/$label.json"
		return 1
	fi
}

# violations FILE: consistency plus ordering violations of a summary.
violations() {
	echo $(($(field consistency_violations "$1") + $(field ordering_violations "$1")))
}

# bench_machine: "Machine: CPU, N CPUs, load average before the run LOAD,
# commit C" for the reports (LOAD from $load_before).
bench_machine() {
	local cpu commit
	cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)
	commit=$(git -C "$bench_repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
	if [[ -n ${POMPE:-} ]]; then
		commit="$commit (binary: $POMPE, not built from it)"
	fi
	echo "Machine: ${cpu:-unknown CPU}, $(nproc) CPUs, load average before the run ${load_before:-unknown}, commit $commit."
}
