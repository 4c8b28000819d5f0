#!/usr/bin/env bash
# (d) Network bytes per command, Pompe against baseline HotStuff, across
# batch sizes (the paper's communication-cost comparison): Pompe's ordering
# phase adds client-replica traffic (timestamps, sequencing proofs) whose
# cost per command batching should amortize.
#
#   experiments/d-bytes.sh                         # batches 1 10 100 1000, both modes, 10 s each (about 2 min)
#   BATCHES="1 100" DURATION=20s experiments/d-bytes.sh
#
# Needs the summaries' net_bytes_per_cmd (and net_peer_bytes_per_cmd): when
# the pompe binary does not report them, the script says so, writes the
# table with "-" and exits with status 3. Writes experiments/results/d-bytes/
# (or RESULTS): results.md, plots/ (PNG and SVG), report.txt and runs/.
NAME=d-bytes
DURATION=${DURATION:-10s}
BATCHES=${BATCHES:-"1 10 100 1000"}
MODES=${MODES:-"pompe hotstuff"}
NODES=${NODES:-4}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
exp_init "$NAME"

for mode in $MODES; do
	for batch in $BATCHES; do
		exp_run "$mode-n$NODES-b$batch" --mode "$mode" --nodes "$NODES" --batch "$batch"
	done
done
exp_report

fields_missing=0
if [[ ${#summaries[@]} -gt 0 ]]; then
	for field in net_bytes_per_cmd net_peer_bytes_per_cmd; do
		if ! held=$("$plot" has "$field" "${summaries[@]}"); then
			fields_missing=1
			echo "MISSING: $held; this pompe binary does not report $field, so no bytes are shown (\"-\", never 0)." >&2
		fi
	done
fi

exp_chart bytes_batch --x batch --y net_bytes_per_cmd --series mode --xlog --ylog \
	--title "Network bytes per command by batch size (n=$NODES)" --xlabel "commands per batch (log)" --ylabel "bytes sent per executed command (log)"
exp_chart peer_bytes_batch --x batch --y net_peer_bytes_per_cmd --series mode --xlog --ylog \
	--title "Replica-to-replica bytes per command by batch size (n=$NODES)" --xlabel "commands per batch (log)" --ylabel "peer bytes per executed command (log)"

{
	exp_header "(d) Network bytes per command"
	echo "Claim: Pompe's ordering phase costs extra messages per command (timestamp replies, sequencing acks,"
	echo "collect replies listing sequenced batches, slots carrying timestamp proofs), so it sends more bytes"
	echo "per command than HotStuff; batching amortizes these per-batch costs (signatures, certificates,"
	echo "framing), so the gap should shrink as the batch grows. Only what replicas send is counted; the"
	echo "clients' uploads of their commands to the replicas are not."
	echo
	echo "net B/cmd: bytes all replicas together wrote (to peers and to clients, TLS included) per executed"
	echo "command; peer B/cmd: only the replica-to-replica part. n = $NODES."
	echo
	if [[ $fields_missing -ne 0 ]]; then
		echo "**The summaries lack \`net_bytes_per_cmd\` / \`net_peer_bytes_per_cmd\`: the pompe binary of this run"
		echo "did not measure network bytes, so the byte columns show \"-\" and no byte chart is drawn. Rerun"
		echo "with a pompe that reports them.**"
		echo
	fi
	"$plot" table --columns "mode:mode,batch:batch,executed_per_s:executed/s,net_bytes_per_cmd:net B/cmd,net_peer_bytes_per_cmd:peer B/cmd,exec_latency_ms.p50:exec p50,consistency_violations:cons. viol.,ordering_violations:order viol." "${summaries[@]}"
	echo
	"$plot" pair --key batch --field net_bytes_per_cmd --header "net B/cmd" "${summaries[@]}"
	echo
	"$plot" pair --key batch --field net_peer_bytes_per_cmd --header "peer B/cmd" "${summaries[@]}"
	exp_violations_note
	echo
	exp_plots_list bytes_batch peer_bytes_batch
} >"$results/results.md"
status=0
exp_finish || status=$?
if [[ $fields_missing -ne 0 ]]; then
	echo "network bytes per command were NOT measured: the summaries lack net_bytes_per_cmd (see results.md)" >&2
	[[ $status -ne 0 ]] || status=3
fi
exit "$status"
