package sim

import (
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/pompe-bft/pompe/internal/replica"
)

func TestDebugSeed(t *testing.T) {
	if os.Getenv("SEED") == "" {
		t.Skip()
	}
	s, _ := strconv.Atoi(os.Getenv("SEED"))
	o := Options{Seed: int64(s), DurationUs: 8_000_000, SettleUs: 3_000_000}
	o.WithFaults(os.Getenv("FAULTS"))
	o.Mode = replica.Mode(os.Getenv("MODE"))
	lastCluster, r := run(o)
	fmt.Println(r)
	for _, nd := range lastCluster.nodes {
		fmt.Println(nd.id, nd.r.String())
	}
	for _, k := range lastCluster.clients {
		for d, rq := range k.open {
			fmt.Println("client", k.idx, d.Short(), "sent", rq.sentAt, "attempt", rq.attempt, "certs", len(rq.certs), "acks", rq.acks, "rejects", rq.rejects, "ts", rq.ts, "replies", rq.replies)
		}
	}
}
