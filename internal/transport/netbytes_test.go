package transport

import (
	"testing"
)

// TestNetBytesCountSocketsByKind checks that peer and client sockets are
// counted apart and that the counts cover at least the frames carried
// (TLS adds records and handshakes on top).
func TestNetBytesCountSocketsByKind(t *testing.T) {
	c := newCluster(t, 4, 2, nil)
	a, b := c.ts[0], c.ts[1]
	a.Send(1, vote(0, 7))
	recvWhere(t, b.Inbound(), func(in Inbound) bool { return viewOf(in.Msg) == 7 })

	cc := dialClient(t, c, 1, newClientKey(t))
	if err := cc.Send(timestampRequest("payload")); err != nil {
		t.Fatal(err)
	}
	recvClient(t, b.ClientInbound())

	eventually(t, "byte counters reflect the traffic", func() bool {
		sa, sb := a.Stats(), b.Stats()
		na, nb := a.NetBytes(), b.NetBytes()
		return na.PeerSent >= sa.Peers[1].BytesSent && na.PeerSent > 0 &&
			nb.PeerReceived >= sb.Peers[0].BytesReceived && nb.PeerReceived > 0 &&
			nb.ClientReceived >= sb.Clients.BytesReceived && nb.ClientReceived > 0 &&
			nb.ClientSent > 0 // the TLS handshake alone writes to the client
	})
	if na := a.NetBytes(); na.ClientSent != 0 || na.ClientReceived != 0 {
		t.Errorf("replica 0 had no client yet counted client bytes: %+v", na)
	}
}
