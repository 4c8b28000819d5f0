#!/usr/bin/env bash
# (b) Throughput and latency as the number of replicas grows (the paper's
# scalability claim), both modes at a fixed batch size.
#
#   experiments/b-scale.sh                         # n = 4 7 10 16, batch 100, both modes, 15 s each (about 3 min)
#   NODES_LIST="4 7 10 16 31" experiments/b-scale.sh
#   BATCH=1 DURATION=30s MODES=pompe experiments/b-scale.sh
#
# Writes experiments/results/b-scale/ (or RESULTS): results.md, plots/
# (PNG and SVG), report.txt and runs/ with every run's JSON summary, output
# and records (replica stores deleted).
NAME=b-scale
NODES_LIST=${NODES_LIST:-"4 7 10 16"}
MODES=${MODES:-"pompe hotstuff"}
BATCH=${BATCH:-100}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
exp_init "$NAME"

for mode in $MODES; do
	for n in $NODES_LIST; do
		exp_run "$mode-n$n-b$BATCH" --mode "$mode" --nodes "$n" --batch "$BATCH"
	done
done
exp_report

exp_chart tput_nodes --x nodes --y executed_per_s --series mode \
	--title "Throughput as n grows (batch $BATCH)" --xlabel "replicas (n)" --ylabel "executed commands per second"
exp_chart latency_nodes --x nodes --y exec_latency_ms.p50 --series mode \
	--title "Execution latency p50 as n grows (batch $BATCH)" --xlabel "replicas (n)" --ylabel "execution latency p50 (ms)"
exp_chart cpu_nodes --x nodes --y replica_cpu_us_per_cmd --series mode \
	--title "Replica CPU per command as n grows (batch $BATCH)" --xlabel "replicas (n)" --ylabel "replica CPU per command (µs)"

{
	exp_header "(b) Throughput and latency as n grows"
	echo "Claim: both protocols lose throughput as n grows (more messages and signatures per decision);"
	echo "Pompe's ordering phase adds O(n) timestamp and sequencing work per batch on top. The reference's"
	echo "artifact, batch 1, n = 4 to 16: Pompe 1,579 to 690 cmd/s, HotStuff 581 to 270 cmd/s (the reference prototype's published numbers)."
	echo "Here n grows on one machine, so every added replica also takes CPU from the others and from the"
	echo "clients: the decline mixes protocol cost with CPU contention."
	echo
	echo "Batch $BATCH. Latencies in ms from a command's first send. CPU cores: mean per replica; CPU µs/cmd: all"
	echo "replicas together per executed command; RSS max: the largest replica; peer B/cmd: replica-to-replica"
	echo "bytes per executed command. \"-\" where the pompe binary did not report a figure."
	echo
	"$plot" table --columns "mode:mode,nodes:n,executed_per_s:executed/s,exec_latency_ms.p50:exec p50,exec_latency_ms.p99:exec p99,order_latency_ms.p50:order p50,replica_cpu_cores:CPU cores,replica_cpu_us_per_cmd:CPU µs/cmd,replica_rss_max_mib:RSS max MiB,net_peer_bytes_per_cmd:peer B/cmd,retries:retries,consistency_violations:cons. viol.,ordering_violations:order viol." "${summaries[@]}"
	echo
	echo "Pompe against HotStuff at each n:"
	echo
	"$plot" pair --key nodes --field executed_per_s --header "executed/s" "${summaries[@]}"
	echo
	"$plot" pair --key nodes --field exec_latency_ms.p50 --header "exec p50 ms" --also "order_latency_ms.p50:order p50 ms" "${summaries[@]}"
	if [[ ! -f $results/plots/cpu_nodes.png ]]; then
		echo
		echo "No CPU per command chart: the summaries hold no \`replica_cpu_us_per_cmd\` (this pompe binary does"
		echo "not report it)."
	fi
	exp_violations_note
	echo
	exp_plots_list tput_nodes latency_nodes cpu_nodes
} >"$results/results.md"
exp_finish
