package node

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pompe-bft/pompe/internal/transport"
)

func TestNetMetricsByKind(t *testing.T) {
	reg := prometheus.NewRegistry()
	read := func() transport.NetBytes {
		return transport.NetBytes{PeerSent: 1, PeerReceived: 2, ClientSent: 3, ClientReceived: 4}
	}
	if err := registerNetMetrics(reg, 2, read); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			kind := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" {
					kind = l.GetValue()
				}
			}
			got[f.GetName()+"/"+kind] = m.GetCounter().GetValue()
		}
	}
	want := map[string]float64{
		"pompe_net_sent_bytes_total/peer": 1, "pompe_net_received_bytes_total/peer": 2,
		"pompe_net_sent_bytes_total/client": 3, "pompe_net_received_bytes_total/client": 4,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
	if err := registerNetMetrics(reg, 2, read); err == nil {
		t.Error("registering twice did not fail")
	}
}
