package batch

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/wire"
)

var (
	alice = crypto.ClientID{1, 2, 3}
	bob   = crypto.ClientID{9, 9, 9}
)

func rawBatch(submitter []byte, owners ...crypto.ClientID) []byte {
	b := &wire.Batch{Submitter: submitter, Nonce: 7}
	for i, o := range owners {
		b.Commands = append(b.Commands, &wire.Command{ClientId: append([]byte(nil), o[:]...), Seq: uint64(i + 1), Payload: []byte("p")})
	}
	return wire.Marshal(b)
}

func TestDigest(t *testing.T) {
	raw := rawBatch(alice[:], alice)
	d := DigestOf(raw)
	if d != Digest(sha256.Sum256(raw)) {
		t.Fatal("DigestOf is not SHA-256 of the bytes")
	}
	if DigestOf(append(raw, 0)) == d {
		t.Fatal("different bytes, same digest")
	}
	back, err := DigestFromBytes(d[:])
	if err != nil || back != d {
		t.Fatalf("DigestFromBytes round trip: %v %v", back, err)
	}
	for _, n := range []int{0, 31, 33} {
		if _, err := DigestFromBytes(make([]byte, n)); err == nil {
			t.Errorf("DigestFromBytes accepts %d bytes", n)
		}
	}
	if len(d.String()) != 64 || !strings.HasPrefix(d.String(), d.Short()) || len(d.Short()) != 12 {
		t.Fatalf("String %q / Short %q", d.String(), d.Short())
	}
}

func TestDigestLess(t *testing.T) {
	a, b := Digest{1, 2}, Digest{1, 3}
	if !a.Less(b) || b.Less(a) || a.Less(a) {
		t.Fatal("Less is not a strict bytewise order")
	}
	if !(Digest{0, 0xff}).Less(Digest{1}) {
		t.Fatal("Less does not compare the first differing byte first")
	}
}

func TestDecode(t *testing.T) {
	good := rawBatch(alice[:], alice, alice)
	many := rawBatch(alice[:], alice, alice, alice, alice)
	cases := []struct {
		name string
		raw  []byte
		lim  Limits
		want string // "" means accepted
	}{
		{"good", good, DefaultLimits, ""},
		{"no limits", many, Limits{}, ""},
		{"exactly max bytes", good, Limits{MaxBytes: len(good)}, ""},
		{"too big", good, Limits{MaxBytes: len(good) - 1}, "exceeds limit"},
		{"exactly max commands", many, Limits{MaxCommands: 4}, ""},
		{"too many commands", many, Limits{MaxCommands: 3}, "4 commands exceeds limit 3"},
		{"no commands", rawBatch(alice[:]), DefaultLimits, "no commands"},
		{"empty input", nil, DefaultLimits, "no commands"},
		{"short submitter", rawBatch(alice[:15], alice), DefaultLimits, "submitter id is 15 bytes"},
		{"long submitter", rawBatch(append(alice[:], 0), alice), DefaultLimits, "submitter id is 17 bytes"},
		{"missing submitter", rawBatch(nil, alice), DefaultLimits, "submitter id is 0 bytes"},
		{"garbage", []byte{0xff, 0xff, 0xff, 0xff}, DefaultLimits, "batch"},
		{"truncated", good[:len(good)-1], DefaultLimits, "batch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Decode(tc.raw, tc.lim)
			if tc.want == "" {
				if err != nil || b == nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if b != nil {
				t.Fatal("batch returned with an error")
			}
		})
	}
}

func TestCheckOwned(t *testing.T) {
	cases := []struct {
		name string
		raw  []byte
		want string
	}{
		{"owned", rawBatch(alice[:], alice, alice, alice), ""},
		{"other submitter", rawBatch(bob[:], alice), "submitter is not the connection's client"},
		{"first command foreign", rawBatch(alice[:], bob, alice), "command 0 belongs to another client"},
		{"last command foreign", rawBatch(alice[:], alice, alice, bob), "command 2 belongs to another client"},
		{"malformed", []byte{0xff}, "batch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckOwned(tc.raw, alice, DefaultLimits)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// Bob's own batch is his, not Alice's.
	if err := CheckOwned(rawBatch(bob[:], bob), bob, DefaultLimits); err != nil {
		t.Fatal(err)
	}
	// A command with a truncated client id is not the owner's.
	b := &wire.Batch{Submitter: alice[:], Commands: []*wire.Command{{ClientId: alice[:15], Seq: 1}}}
	if err := CheckOwned(wire.Marshal(b), alice, DefaultLimits); err == nil {
		t.Fatal("command with a 15-byte client id accepted")
	}
}

// FuzzDecode: Decode never panics, and whatever it accepts respects the
// limits and the shape rules.
func FuzzDecode(f *testing.F) {
	f.Add(rawBatch(alice[:], alice))
	f.Add(rawBatch(alice[:], alice, bob))
	f.Add([]byte{})
	lim := Limits{MaxBytes: 1 << 12, MaxCommands: 8}
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := Decode(raw, lim)
		if err != nil {
			if b != nil {
				t.Fatal("batch returned with an error")
			}
			return
		}
		if len(raw) > lim.MaxBytes || len(b.Commands) == 0 || len(b.Commands) > lim.MaxCommands || len(b.Submitter) != crypto.ClientIDBytes {
			t.Fatalf("accepted a batch outside the rules: %d bytes, %d commands, submitter %d bytes", len(raw), len(b.Commands), len(b.Submitter))
		}
		owner, _ := crypto.ClientIDFromBytes(b.Submitter)
		err = CheckOwned(raw, owner, lim)
		allMine := true
		for _, c := range b.Commands {
			allMine = allMine && bytes.Equal(c.ClientId, owner[:])
		}
		if (err == nil) != allMine {
			t.Fatalf("CheckOwned = %v, every command the submitter's = %v", err, allMine)
		}
	})
}
