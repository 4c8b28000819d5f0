package config

import (
	"reflect"
	"testing"
)

// maxFuzzTOMLBytes keeps single inputs to the size of real files, so the
// fuzzer spends its time on structure rather than on huge strings.
const maxFuzzTOMLBytes = 64 << 10

// FuzzParseConfig: any text either fails with an error or yields a valid
// config that survives encoding and parsing again unchanged.
func FuzzParseConfig(f *testing.F) {
	def, err := EncodeConfig(Default())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def)
	f.Add([]byte(""))
	f.Add([]byte("[consensus]\ntick_interval = \"10ms\"\n[emulation]\ndelay = \"5ms\"\n[emulation.links.2]\nloss = 0.5\n"))
	f.Add([]byte("[metrics]\nlisten = \"127.0.0.1:0\"\n"))
	f.Add([]byte("[p2p]\nlisten_peer = \"[::1]:99999\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzTOMLBytes {
			return
		}
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("parsed config does not validate: %v", err)
		}
		enc, err := EncodeConfig(c)
		if err != nil {
			t.Fatalf("parsed config does not encode: %v", err)
		}
		again, err := ParseConfig(enc)
		if err != nil {
			t.Fatalf("encoded config does not parse: %v\n%s", err, enc)
		}
		if !reflect.DeepEqual(normalizeConfig(c), normalizeConfig(again)) {
			t.Fatalf("round trip changed the config:\n%+v\n%+v", c, again)
		}
	})
}

// normalizeConfig treats an empty link table like an absent one: the
// encoder leaves both out.
func normalizeConfig(c Config) Config {
	if len(c.Emulation.Links) == 0 {
		c.Emulation.Links = nil
	}
	return c
}

// FuzzParseGenesis: any text either fails with an error or yields a valid
// genesis that survives encoding and parsing again unchanged, with a
// committee that can be built from it.
func FuzzParseGenesis(f *testing.F) {
	g, _ := testGenesis(f, 4)
	enc, err := EncodeGenesis(g)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc)
	f.Add([]byte("cluster_id = \"x\"\nmode = \"pompe\"\n"))
	f.Add([]byte("cluster_id = \"x\"\nmode = \"hotstuff\"\n[[replicas]]\nindex = 0\npublic_key = \"AAAA\"\npeer_address = \"127.0.0.1:1\"\nclient_address = \"127.0.0.1:2\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzTOMLBytes {
			return
		}
		g, err := ParseGenesis(data)
		if err != nil {
			return
		}
		if _, err := g.Committee(); err != nil {
			t.Fatalf("valid genesis without a committee: %v", err)
		}
		enc, err := EncodeGenesis(g)
		if err != nil {
			t.Fatalf("parsed genesis does not encode: %v", err)
		}
		again, err := ParseGenesis(enc)
		if err != nil {
			t.Fatalf("encoded genesis does not parse: %v\n%s", err, enc)
		}
		if !g.Created.Equal(again.Created) {
			t.Fatalf("created time changed: %v -> %v", g.Created, again.Created)
		}
		g.Created = again.Created
		if !reflect.DeepEqual(g, again) {
			t.Fatalf("round trip changed the genesis:\n%+v\n%+v", g, again)
		}
	})
}
