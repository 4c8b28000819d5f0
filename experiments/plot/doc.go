// Command plot turns the JSON summaries of `pompe local --json` runs into the
// experiments' Markdown tables and PNG/SVG charts.
//
// Every summary is one JSON object; a field is named by its dotted path
// (executed_per_s, exec_latency_ms.p50, replica_cpu_us_per_cmd). A field a
// summary lacks (an older binary, a resource counter not measured) is shown
// as "-" in tables and leaves its point out of charts, so nothing missing is
// ever drawn or printed as zero.
//
//	plot table --columns mode:mode,batch:batch,executed_per_s:executed/s runs/*.json
//	plot chart --x executed_per_s --y exec_latency_ms.p50 --series mode --order batch \
//	    --title "..." --out plots --name tput_latency runs/*.json
//	plot pair --key batch --field exec_latency_ms.p50 --header "exec p50 ms" runs/*.json
//	plot has net_bytes_per_cmd runs/*.json
//	plot target executed_per_s ">=" 2500 runs/pompe-c64-i1-b1.json
//	plot ratio executed_per_s ">=" 0.8 runs/pompe-c4-i4-b1000.json runs/hotstuff-c4-i4-b1000.json
package main
