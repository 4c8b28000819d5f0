package node

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/storage"
)

// TestStoreIdentity: the first start records the owner; a later start by
// anyone else is refused with what differs; the owner starts again.
func TestStoreIdentity(t *testing.T) {
	owner := StoreIdentity{Replica: 0, PublicKey: "key0", ClusterID: "c1"}
	tests := []struct {
		name  string
		next  StoreIdentity
		wants []string // empty: accepted
	}{
		{"same replica", owner, nil},
		{"another replica", StoreIdentity{Replica: 1, PublicKey: "key1", ClusterID: "c1"},
			[]string{"belongs to replica 0, not 1, public key key0, not key1", "node.data_dir", "move"}},
		{"same index, other key", StoreIdentity{Replica: 0, PublicKey: "keyX", ClusterID: "c1"},
			[]string{"public key key0, not keyX"}},
		{"another cluster", StoreIdentity{Replica: 0, PublicKey: "key0", ClusterID: "c2"},
			[]string{`cluster "c1", not "c2"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := storage.NewMem()
			if err := CheckStoreIdentity(store, owner, "DIR", nil); err != nil {
				t.Fatalf("first start: %v", err)
			}
			err := CheckStoreIdentity(store, tc.next, "DIR", nil)
			if len(tc.wants) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted another owner's store")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			// The record is unchanged: the owner still starts.
			if err := CheckStoreIdentity(store, owner, "DIR", nil); err != nil {
				t.Fatalf("owner refused after a refused start: %v", err)
			}
		})
	}
}

func TestStoreIdentityDamagedAndLegacy(t *testing.T) {
	me := StoreIdentity{Replica: 2, PublicKey: "k", ClusterID: "c"}
	damaged := storage.NewMem()
	var w storage.Batch
	w.Put(identityKey, []byte("{not json"))
	if err := damaged.Apply(&w, true); err != nil {
		t.Fatal(err)
	}
	if err := CheckStoreIdentity(damaged, me, "DIR", nil); err == nil || !strings.Contains(err.Error(), "unreadable owner record") {
		t.Fatalf("damaged record: %v", err)
	}
	// A store with a chain but no owner (an older version) is adopted.
	legacy := storage.NewMem()
	w.Reset()
	w.Put([]byte{'B', 1}, []byte("block"))
	if err := legacy.Apply(&w, true); err != nil {
		t.Fatal(err)
	}
	if err := CheckStoreIdentity(legacy, me, "DIR", nil); err != nil {
		t.Fatal(err)
	}
	if err := CheckStoreIdentity(legacy, StoreIdentity{Replica: 3, PublicKey: "k3", ClusterID: "c"}, "DIR", nil); err == nil {
		t.Fatal("an adopted store accepted another replica")
	}
}

// TestOpenRefusesAnotherReplicasStore: a home whose key is swapped for
// another replica's refuses to open the store its old replica wrote, and
// a home opened twice says another process holds it.
func TestOpenRefusesAnotherReplicasStore(t *testing.T) {
	homes, _ := writeCluster(t, 4, config.ModeHotStuff)
	n, err := Open(homes[0], Options{})
	if err != nil {
		t.Fatal(err)
	}
	n.closeAll()
	key1, err := os.ReadFile(filepath.Join(homes[1], config.ConfigDirName, config.NodeKeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(homes[0], config.ConfigDirName, config.NodeKeyFileName), key1, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(homes[0], Options{}); err == nil || !strings.Contains(err.Error(), "belongs to replica 0, not 1") {
		t.Fatalf("replica 1 on replica 0's store: %v", err)
	}
}
