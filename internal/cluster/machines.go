package cluster

import (
	"fmt"
	"strings"
)

// machine is one distinct host with everything it runs: the inventory may
// list a host both for replicas and for clients.
type machine struct {
	Host
	replicas     []int
	clients      int
	clientOffset int
	clientHost   int // index in ClientHosts, -1 if none
}

func (m *machine) describe() string {
	var parts []string
	if len(m.replicas) > 0 {
		parts = append(parts, "replicas "+joinInts(m.replicas))
	}
	if m.clients > 0 {
		parts = append(parts, fmt.Sprintf("clients %d-%d", m.clientOffset, m.clientOffset+m.clients-1))
	}
	return strings.Join(parts, ", ")
}

// label names the machine in local paths.
func (m *machine) label() string {
	r := strings.NewReplacer(":", "_", "/", "_", "[", "", "]", "")
	return r.Replace(m.Address)
}

func (inv *Inventory) machines() []*machine {
	var out []*machine
	byAddr := map[string]*machine{}
	get := func(h Host) *machine {
		if m, ok := byAddr[h.Address]; ok {
			return m
		}
		m := &machine{Host: h, clientHost: -1}
		byAddr[h.Address] = m
		out = append(out, m)
		return m
	}
	for _, h := range inv.ReplicaHosts {
		get(h).replicas = h.Replicas
	}
	for i, h := range inv.ClientHosts {
		m := get(h)
		m.clients, m.clientOffset, m.clientHost = h.Clients, inv.ClientOffset(i), i
	}
	return out
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}
