package config

import (
	"fmt"
	"os"

	"github.com/pompe-bft/pompe/internal/crypto"
)

// keyFile is the on-disk form of a private key (node_key.toml and client
// key files).
type keyFile struct {
	PrivateKey string `toml:"private_key"`
	PublicKey  string `toml:"public_key"`
}

// KeyFilePerm is the only mode a key file may have.
const KeyFilePerm os.FileMode = 0o600

// WriteKeyFile writes k to a new file at path, mode 0600. It refuses to
// overwrite an existing key.
func WriteKeyFile(path string, k crypto.PrivateKey, description string) error {
	if k.IsZero() {
		return fmt.Errorf("%s: no key to write", path)
	}
	text := fmt.Sprintf("# %s\n# Private key seed: keep this file secret. public_key is derived from it.\n"+
		"private_key = %q\npublic_key = %q\n",
		description, crypto.EncodeKey(k.Seed()), crypto.EncodeKey(k.Public()))
	if err := writeFileAtomic(path, []byte(text), KeyFilePerm, true); err != nil {
		return fmt.Errorf("write key %s: %w", path, err)
	}
	return nil
}

// ReadKeyFile loads a private key written by WriteKeyFile. The file must
// not be readable by group or others.
func ReadKeyFile(path string) (crypto.PrivateKey, error) {
	k, err := readKeyFile(path)
	if err != nil {
		return crypto.PrivateKey{}, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

func readKeyFile(path string) (crypto.PrivateKey, error) {
	var none crypto.PrivateKey
	st, err := os.Stat(path)
	if err != nil {
		return none, err
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return none, fmt.Errorf("key file has mode %04o, readable by others; run chmod 600 on it", perm)
	}
	data, err := readBounded(path, MaxKeyFileBytes)
	if err != nil {
		return none, err
	}
	var kf keyFile
	if _, err := decodeStrict(data, &kf, MaxKeyFileBytes); err != nil {
		return none, err
	}
	if kf.PrivateKey == "" {
		return none, fmt.Errorf("private_key is missing")
	}
	k, err := crypto.DecodePrivateKey(kf.PrivateKey)
	if err != nil {
		return none, fmt.Errorf("private_key: %w", err)
	}
	if kf.PublicKey != "" && kf.PublicKey != crypto.EncodeKey(k.Public()) {
		return none, fmt.Errorf("public_key = %q does not belong to private_key (it derives %q)", kf.PublicKey, crypto.EncodeKey(k.Public()))
	}
	return k, nil
}
