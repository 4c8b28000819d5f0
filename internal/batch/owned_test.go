package batch

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"pgregory.net/rapid"

	"github.com/pompe-bft/pompe/internal/crypto"
)

// decodedOwned is the reference CheckOwned reads in place: decode, then
// compare the submitter and every command's client id with owner.
func decodedOwned(raw []byte, owner crypto.ClientID, lim Limits) (decoded bool, err error) {
	b, err := Decode(raw, lim)
	if err != nil {
		return false, err
	}
	if !bytes.Equal(b.Submitter, owner[:]) {
		return true, errWrongOwner
	}
	for _, c := range b.Commands {
		if !bytes.Equal(c.ClientId, owner[:]) {
			return true, errWrongOwner
		}
	}
	return true, nil
}

var errWrongOwner = &ownerError{}

type ownerError struct{}

func (*ownerError) Error() string { return "not the owner's" }

// agree fails t when CheckOwned and the reference disagree on a batch the
// reference decodes. On one it does not decode CheckOwned may accept, but
// never when the limits refuse it.
func agree(t interface {
	Helper()
	Fatalf(string, ...any)
}, raw []byte, owner crypto.ClientID, lim Limits) {
	t.Helper()
	got := CheckOwned(raw, owner, lim)
	decoded, want := decodedOwned(raw, owner, lim)
	if decoded && (got == nil) != (want == nil) {
		t.Fatalf("CheckOwned = %v, decoding says %v, on %x", got, want, raw)
	}
	if got == nil && lim.MaxBytes > 0 && len(raw) > lim.MaxBytes {
		t.Fatalf("accepted %d bytes over the limit %d", len(raw), lim.MaxBytes)
	}
}

// field is one encoded field of a generated message.
func appendField(b []byte, num protowire.Number, typ protowire.Type, payload []byte, varint uint64) []byte {
	b = protowire.AppendTag(b, num, typ)
	switch typ {
	case protowire.BytesType:
		return protowire.AppendBytes(b, payload)
	case protowire.VarintType:
		return protowire.AppendVarint(b, varint)
	case protowire.Fixed32Type:
		return protowire.AppendFixed32(b, uint32(varint))
	default:
		return protowire.AppendFixed64(b, varint)
	}
}

// genFields draws an encoding of fields numbered 1..maxNum of any wire
// type, in any order, repeated or missing; bytes fields take their value
// from values.
func genFields(t *rapid.T, label string, maxNum int, values func(num protowire.Number) []byte) []byte {
	var b []byte
	types := []protowire.Type{protowire.BytesType, protowire.BytesType, protowire.BytesType, protowire.VarintType, protowire.Fixed32Type, protowire.Fixed64Type}
	for i := rapid.IntRange(0, 3).Draw(t, label+"-fields"); i > 0; i-- {
		num := protowire.Number(rapid.IntRange(1, maxNum).Draw(t, label+"-num"))
		typ := rapid.SampledFrom(types).Draw(t, label+"-type")
		var payload []byte
		if typ == protowire.BytesType {
			payload = values(num)
		}
		b = appendField(b, num, typ, payload, rapid.Uint64().Draw(t, label+"-varint"))
	}
	return b
}

// TestCheckOwnedAgreesWithDecode draws batches encoded every way a
// protobuf encoder could, and some ways none would (repeated scalar fields,
// unknown fields, known fields with the wrong wire type, foreign and
// truncated client ids, broken tails), and compares CheckOwned with
// decoding.
func TestCheckOwnedAgreesWithDecode(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ids := [][]byte{alice[:], alice[:], bob[:], alice[:15], nil}
		id := func(label string) []byte { return rapid.SampledFrom(ids).Draw(t, label) }
		command := func() []byte {
			c := genFields(t, "cmd", 4, func(num protowire.Number) []byte {
				if num == fieldClientID {
					return id("cmd-id")
				}
				return rapid.SliceOfN(rapid.Byte(), 0, 8).Draw(t, "cmd-bytes")
			})
			// Most commands end with their client id, some with two.
			for i := rapid.IntRange(0, 2).Draw(t, "cmd-ids"); i > 0; i-- {
				c = appendField(c, fieldClientID, protowire.BytesType, id("cmd-last-id"), 0)
			}
			return c
		}
		raw := genFields(t, "batch", 7, func(num protowire.Number) []byte {
			switch num {
			case fieldSubmitter:
				return id("submitter")
			case fieldCommands:
				return command()
			}
			return rapid.SliceOfN(rapid.Byte(), 0, 8).Draw(t, "batch-bytes")
		})
		if rapid.IntRange(0, 3).Draw(t, "with commands") > 0 {
			for i := rapid.IntRange(1, 4).Draw(t, "commands"); i > 0; i-- {
				raw = appendField(raw, fieldCommands, protowire.BytesType, command(), 0)
			}
		}
		if rapid.IntRange(0, 3).Draw(t, "with submitter") > 0 {
			raw = appendField(raw, fieldSubmitter, protowire.BytesType, id("last submitter"), 0)
		}
		if rapid.IntRange(0, 9).Draw(t, "broken tail") == 0 && len(raw) > 0 {
			cut := rapid.IntRange(1, min(3, len(raw))).Draw(t, "cut")
			raw = raw[:len(raw)-cut]
		}
		lim := Limits{MaxBytes: rapid.SampledFrom([]int{0, 1 << 12, 1 << 12, 64}).Draw(t, "max bytes"), MaxCommands: rapid.SampledFrom([]int{0, 0, 8, 2}).Draw(t, "max commands")}
		agree(t, raw, alice, lim)
	})
}

// FuzzCheckOwnedAgreesWithDecode is the same comparison on arbitrary bytes.
func FuzzCheckOwnedAgreesWithDecode(f *testing.F) {
	f.Add(rawBatch(alice[:], alice))
	f.Add(rawBatch(alice[:], alice, bob))
	f.Add(rawBatch(bob[:], alice))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		agree(t, raw, alice, Limits{MaxBytes: 1 << 12, MaxCommands: 8})
	})
}

// BenchmarkCheckOwned compares reading ownership in place with decoding
// the batch first (the reference), at batch 1000 of 64-byte payloads.
func BenchmarkCheckOwned(b *testing.B) {
	ids := make([]crypto.ClientID, 1000)
	for i := range ids {
		ids[i] = alice
	}
	raw := rawBatch(alice[:], ids...)
	b.Run("in-place", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if err := CheckOwned(raw, alice, DefaultLimits); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decoded", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := decodedOwned(raw, alice, DefaultLimits); err != nil {
				b.Fatal(err)
			}
		}
	})
}
