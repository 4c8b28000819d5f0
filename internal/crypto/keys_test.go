package crypto

import (
	"bytes"
	"strings"
	"testing"
)

func TestKeySeedRoundTrip(t *testing.T) {
	k, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	if k.IsZero() {
		t.Fatal("generated key is zero")
	}
	again, err := KeyFromSeed(k.Seed())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Public(), k.Public()) || !bytes.Equal(again.Std(), k.Std()) {
		t.Fatal("key rebuilt from its seed differs")
	}
	dec, err := DecodePrivateKey(EncodeKey(k.Seed()))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dec.Public(), k.Public()) {
		t.Fatal("base64 seed round trip changed the key")
	}
	pub, err := DecodePublicKey(EncodeKey(k.Public()))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pub, k.Public()) {
		t.Fatal("base64 public key round trip changed the key")
	}
	if !(PrivateKey{}).IsZero() {
		t.Fatal("zero PrivateKey is not IsZero")
	}
}

func TestKeyDecodeErrors(t *testing.T) {
	cases := []struct {
		name string
		run  func() error
		want string
	}{
		{"seed too short", func() error { _, err := KeyFromSeed(make([]byte, SeedBytes-1)); return err }, "seed is 31 bytes"},
		{"seed too long", func() error { _, err := KeyFromSeed(make([]byte, SeedBytes+1)); return err }, "seed is 33 bytes"},
		{"private not base64", func() error { _, err := DecodePrivateKey("!!"); return err }, "not base64"},
		{"private wrong length", func() error { _, err := DecodePrivateKey(EncodeKey([]byte{1, 2})); return err }, "seed is 2 bytes"},
		{"public not base64", func() error { _, err := DecodePublicKey("@@"); return err }, "not base64"},
		{"public wrong length", func() error { _, err := DecodePublicKey(EncodeKey(make([]byte, 31))); return err }, "31 bytes"},
		{"client id wrong length", func() error { _, err := ClientIDFromBytes(make([]byte, 15)); return err }, "15 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestClientIDOf(t *testing.T) {
	a, b := seededKey(t, 1), seededKey(t, 2)
	idA := ClientIDOf(a.Public())
	if idA != ClientIDOf(append(PublicKey(nil), a.Public()...)) {
		t.Fatal("ClientIDOf is not deterministic")
	}
	if idA == ClientIDOf(b.Public()) {
		t.Fatal("different keys give the same client id")
	}
	if idA == (ClientID{}) {
		t.Fatal("client id is zero")
	}
	back, err := ClientIDFromBytes(idA[:])
	if err != nil || back != idA {
		t.Fatalf("ClientIDFromBytes round trip: %v %v", back, err)
	}
	if got := idA.String(); len(got) != 2*ClientIDBytes {
		t.Fatalf("String() = %q, want %d hex digits", got, 2*ClientIDBytes)
	}
}
