package batch

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

func TestCheckSigned(t *testing.T) {
	key, _ := crypto.GenerateKey(nil)
	other, _ := crypto.GenerateKey(nil)
	id := crypto.ClientIDOf(key.Public())
	victim := crypto.ClientIDOf(other.Public())
	cluster := []byte("c1")
	mk := func(sub crypto.ClientID, owners ...crypto.ClientID) *wire.Batch {
		b := &wire.Batch{Submitter: append([]byte(nil), sub[:]...), Nonce: 3}
		for i, o := range owners {
			b.Commands = append(b.Commands, &wire.Command{ClientId: append([]byte(nil), o[:]...), Seq: uint64(i + 1), Payload: []byte("p")})
		}
		return b
	}
	good := Sign(mk(id, id, id), key, cluster)
	flipped := []byte(string(good))
	flipped[len(flipped)-1] ^= 1
	tests := []struct {
		name string
		raw  []byte
		want string
	}{
		{"signed by its submitter", good, ""},
		{"other cluster", Sign(mk(id, id), key, []byte("c2")), "bad submitter signature"},
		{"flipped signature bit", flipped, "bad submitter signature"},
		{"victim's id, attacker's key", Sign(mk(victim, victim), key, cluster), "does not own the submitter"},
		{"a command in another client's name", Sign(mk(id, id, victim), key, cluster), "command 1 belongs to another client"},
		{"unsigned", wire.Marshal(mk(id, id)), "client key is 0 bytes"},
		{"bytes appended to a signed batch", protowire.AppendBytes(protowire.AppendTag(append([]byte(nil), good...), 99, protowire.BytesType), []byte("x")), "bad submitter signature"},
		{"signed batch re-encoded", append(protowire.AppendVarint(protowire.AppendTag(nil, 3, protowire.VarintType), 3), good...), "not canonically encoded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := CheckSigned(tc.raw, cluster, DefaultLimits)
			if tc.want == "" {
				if err != nil || b == nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
