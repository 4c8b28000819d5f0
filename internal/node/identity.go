package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"syscall"

	"github.com/pompe-bft/pompe/internal/config"
	"github.com/pompe-bft/pompe/internal/crypto"
	"github.com/pompe-bft/pompe/internal/storage"
)

// identityKey holds the identity of the replica that owns a store. Its
// table prefix 'N' is used by nothing else (the others: B C H I L P Q S T
// X Y).
var identityKey = []byte{'N'}

// StoreIdentity is what a store records, at the first start on it, about
// the replica that owns it. A store holds one replica's safety state (its
// votes, its timestamp high-water mark): opened by another replica, or by
// a replica of another cluster, that replica would sign on the strength of
// promises it never made, and two processes would then sign as one
// replica. Node start refuses any mismatch.
type StoreIdentity struct {
	Replica   int    `json:"replica"`
	PublicKey string `json:"public_key"` // crypto.EncodeKey
	ClusterID string `json:"cluster_id"`
}

// maxIdentityBytes bounds what is decoded from the identity record.
const maxIdentityBytes = 4 << 10

// CheckStoreIdentity records want in store when the store holds none, and
// otherwise returns an error saying what differs and what to do when the
// recorded identity is not want. dir names the store in the error.
//
// A store written before identities were recorded, whose chain is not
// empty, is adopted with a warning: nothing in it says whose it is.
func CheckStoreIdentity(store storage.Store, want StoreIdentity, dir string, log *slog.Logger) error {
	raw, err := store.Get(identityKey)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		if !storeEmpty(store) && log != nil {
			log.Warn("the store has no owner recorded (written by an older version); recording this replica as its owner", "dir", dir)
		}
		enc, err := json.Marshal(want)
		if err != nil {
			return err
		}
		var w storage.Batch
		w.Put(identityKey, enc)
		if err := store.Apply(&w, true); err != nil {
			return fmt.Errorf("node: recording the store's owner: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("node: reading the store's owner: %w", err)
	}
	var got StoreIdentity
	if len(raw) > maxIdentityBytes || json.Unmarshal(raw, &got) != nil {
		return fmt.Errorf("node: the store in %s has an unreadable owner record; it is damaged or not a pompe store. "+
			"Move it away to start this replica with an empty store (it catches up from its peers)", dir)
	}
	if got == want {
		return nil
	}
	var diffs []string
	if got.ClusterID != want.ClusterID {
		diffs = append(diffs, fmt.Sprintf("cluster %q, not %q", got.ClusterID, want.ClusterID))
	}
	if got.Replica != want.Replica {
		diffs = append(diffs, fmt.Sprintf("replica %d, not %d", got.Replica, want.Replica))
	}
	if got.PublicKey != want.PublicKey {
		diffs = append(diffs, fmt.Sprintf("public key %s, not %s", got.PublicKey, want.PublicKey))
	}
	return fmt.Errorf("node: the store in %s belongs to %s: it was written as replica %d (public key %s) of cluster %q, "+
		"and this home is replica %d (public key %s) of cluster %q. A store holds its replica's votes and must never "+
		"serve another replica or cluster: point node.data_dir at this replica's own data directory, or, if this "+
		"replica has none, move %s away and start again (it catches up from its peers)",
		dir, strings.Join(diffs, ", "), got.Replica, got.PublicKey, got.ClusterID,
		want.Replica, want.PublicKey, want.ClusterID, dir)
}

// storeEmpty reports whether the store holds no key at all.
func storeEmpty(store storage.Store) bool {
	empty := true
	_ = store.Scan(nil, nil, func(_, _ []byte) bool {
		empty = false
		return false
	})
	return empty
}

// identityOf is the identity of the replica a home runs.
func identityOf(h *config.Home) StoreIdentity {
	return StoreIdentity{Replica: h.Index, PublicKey: crypto.EncodeKey(h.Key.Public()), ClusterID: h.Genesis.ClusterID}
}

// explainStoreOpen turns the failure to open a store into one that says
// what to do; a store another process holds is the common case (the same
// home started twice).
func explainStoreOpen(dir, home string, err error) error {
	if isLockHeld(err) {
		return fmt.Errorf("node: another process holds the store in %s: the replica of home %s is already running "+
			"(stop it first; two processes must never run one replica)", dir, home)
	}
	return err
}

func isLockHeld(err error) bool {
	return errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK) ||
		strings.Contains(err.Error(), "resource temporarily unavailable") || strings.Contains(err.Error(), "lock held")
}
