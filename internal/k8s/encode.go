package k8s

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"

	"github.com/pompe-bft/pompe/internal/k8s/k8shome"
)

// Names of what Write adds to a testnet directory.
const (
	DirName      = "k8s"
	YAMLFileName = "pompe.yaml"
	ReadmeName   = "README.txt"
)

// documentSeparator separates the objects of a multi-document YAML file.
const documentSeparator = "---\n"

// Encode renders the manifests as one multi-document YAML stream, in the
// order of Objects.
func (m *Manifests) Encode() ([]byte, error) {
	var b bytes.Buffer
	for i, obj := range m.Objects() {
		doc, err := marshalWithoutStatus(obj)
		if err != nil {
			return nil, fmt.Errorf("k8s: encode %T: %w", obj, err)
		}
		if i > 0 {
			b.WriteString(documentSeparator)
		}
		b.Write(doc)
	}
	return b.Bytes(), nil
}

// marshalWithoutStatus renders obj as YAML without its status, which the
// cluster owns: an empty status of typed structs would only look like
// something to fill in.
func marshalWithoutStatus(obj any) ([]byte, error) {
	j, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var fields map[string]any
	if err := json.Unmarshal(j, &fields); err != nil {
		return nil, err
	}
	delete(fields, "status")
	return yaml.Marshal(fields)
}

// Write builds the manifests of the testnet in dir and writes them to
// dir/k8s/pompe.yaml (mode 0600: it holds the node keys) with a README
// on applying them. It returns the YAML file's path.
func Write(dir string, o Options) (string, error) {
	o = o.WithDefaults()
	m, err := Build(dir, o)
	if err != nil {
		return "", err
	}
	data, err := m.Encode()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, DirName)
	if err := os.MkdirAll(out, 0o700); err != nil {
		return "", fmt.Errorf("k8s: %w", err)
	}
	file := filepath.Join(out, YAMLFileName)
	if err := k8shome.ReplaceFile(file, data, 0o600); err != nil {
		return "", err
	}
	if err := k8shome.ReplaceFile(filepath.Join(out, ReadmeName), []byte(readme(o, len(m.Secrets))), 0o644); err != nil {
		return "", err
	}
	return file, nil
}
