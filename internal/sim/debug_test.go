package sim

import (
	"fmt"
	"os"
	"strconv"
	"testing"
)

func TestDebugSeed(t *testing.T) {
	if os.Getenv("SEED") == "" {
		t.Skip()
	}
	s, _ := strconv.Atoi(os.Getenv("SEED"))
	o := Options{Seed: int64(s), DurationUs: 8_000_000, SettleUs: 3_000_000}
	o.WithFaults(os.Getenv("FAULTS"))
	r := Run(o)
	fmt.Println(r)
	for _, nd := range lastCluster.nodes {
		fmt.Println(nd.id, nd.r.String())
	}
	for _, k := range lastCluster.clients {
		for d, rq := range k.open {
			fmt.Println("client", k.idx, d.Short(), "sent", rq.sentAt, "replies", rq.replies)
		}
	}
}
