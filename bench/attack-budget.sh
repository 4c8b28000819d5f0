#!/usr/bin/env bash
# The byte budget under attack (issue 11): for each attack of
# internal/attack, an unattacked `pompe local` run and an attacked one
# (`--attack KIND`, the attacker at the lowest CPU priority in its own
# process) back to back, on 4 replicas. Reports the correct clients'
# executed commands per second, their ratio to the unattacked run, and the
# peak replica RSS of the attacked run, which must stay under RSS_BOUND_MIB.
# Writes bench/results/attack-budget-<date>/attack-budget.md and prints it.
#
#   bench/attack-budget.sh                                  # 8 kinds, 10 s per run, about 6 minutes
#   DURATION=20s KINDS="body-flood get-amplify" bench/attack-budget.sh
#
# The attacker dials at most ATTACK_DIAL_RATE times a second (default 400,
# as in test/attack; 0 is unbounded): it shares the replicas' two cores here,
# and an unbounded dialer's own CPU and kernel work is what the correct
# clients lose, not the replicas' cost (a real attacker brings its machine).
#
# A replica over RSS_BOUND_MIB (default 512), a run without a summary, or a
# consistency or ordering violation makes the script say FAILED and exit 1.
# A ratio under TARGET (default 0.50) is reported, not a failure: on a
# shared machine compare ratios of pairs run back to back, and repeat.
#
# Needs bash, awk and Go only. POMPE=path uses that pompe binary instead of
# building ./cmd/pompe.
set -euo pipefail

DURATION=${DURATION:-10s}
NODES=${NODES:-4}
CLIENTS=${CLIENTS:-4}
KINDS=${KINDS:-"idle-tls idle-tcp stalled-frames empty-repeated bad-proofs get-amplify body-flood resend-amplify"}
RSS_BOUND_MIB=${RSS_BOUND_MIB:-512}
TARGET=${TARGET:-0.50}
ATTACK_DIAL_RATE=${ATTACK_DIAL_RATE:-400}

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
results=$(bench_results_dir attack-budget)
load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
started=$(date +%s)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$tmp/pompe
bench_pompe "$bin"

bad_runs=()
rows=()

# run LABEL FLAG...: one `pompe local --json` run; returns 1 without a summary.
run() {
	local label=$1
	shift
	if ! local_run "$bin" "$results/runs" "$label" "$@"; then
		bad_runs+=("$label (no summary, exit $local_rc)")
		return 1
	fi
	local viol
	viol=$(violations "$results/runs/$label.json")
	if [[ $viol -ne 0 || $local_rc -ne 0 ]]; then
		bad_runs+=("$label ($viol violations, exit $local_rc)")
	fi
}

for kind in $KINDS; do
	base=(--nodes "$NODES" --clients "$CLIENTS" --duration "$DURATION")
	ok=yes
	run "$kind-unattacked" "${base[@]}" || ok=no
	run "$kind" "${base[@]}" --attack "$kind" --attack-dial-rate "$ATTACK_DIAL_RATE" || ok=no
	if [[ $ok == no ]]; then
		rows+=("| $kind | - | - | - | - | not measured (run failed) |")
		continue
	fi
	free=$(field executed_per_s "$results/runs/$kind-unattacked.json")
	hit=$(field executed_per_s "$results/runs/$kind.json")
	rss=$(field replica_rss_max_mib "$results/runs/$kind.json")
	if awk -v r="$rss" -v b="$RSS_BOUND_MIB" 'BEGIN { exit !(r >= b) }'; then
		bad_runs+=("$kind (peak replica RSS $rss MiB, bound $RSS_BOUND_MIB MiB)")
	fi
	rows+=("$(awk -v k="$kind" -v a="$free" -v b="$hit" -v m="$rss" -v t="$TARGET" -v rb="$RSS_BOUND_MIB" 'BEGIN {
		r = (a > 0) ? b / a : 0
		printf "| %s | %.0f | %s | %.1f | %.1f | %.3f (%s) |", k, m, (m < rb) ? "yes" : "NO", a, b, r, (r >= t) ? "met" : "missed"
	}')")
done

table=$(
	echo "| attack | peak replica RSS, MiB | under $RSS_BOUND_MIB MiB | unattacked exec/s | attacked exec/s | ratio (target $TARGET) |"
	echo "|---|---:|---|---:|---:|---:|"
	printf '%s\n' "${rows[@]}"
)
{
	echo "# Byte budget under attack, $(date '+%Y-%m-%d %H:%M %Z')"
	echo
	echo "\`bench/attack-budget.sh\`: \`pompe local --nodes $NODES --clients $CLIENTS --duration $DURATION\` unattacked and"
	echo "with \`--attack KIND\` (the attacker in its own process at nice 19, at every replica, dialing at most $ATTACK_DIAL_RATE times a second), back to back."
	echo "Peak RSS is the largest resident set of any replica sampled each second in the attacked run."
	echo "Ran in $(($(date +%s) - started)) s. $(bench_machine)"
	echo
	echo "$table"
	echo
	if [[ ${#bad_runs[@]} -eq 0 ]]; then
		echo "Every run: 0 consistency violations, 0 ordering violations; every replica under $RSS_BOUND_MIB MiB."
	else
		echo "**FAILED: ${bad_runs[*]}.** See runs/<label>.txt."
	fi
} >"$results/attack-budget.md"
cat "$results/attack-budget.md"
if [[ ${#bad_runs[@]} -gt 0 ]]; then
	exit 1
fi
