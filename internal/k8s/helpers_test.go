package k8s

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"github.com/pompe-bft/pompe/internal/testnet"
)

// seeded makes generated keys reproducible.
type seeded struct{ *rand.ChaCha8 }

func newSeeded(seed byte) seeded {
	var s [32]byte
	s[0] = seed
	return seeded{rand.NewChaCha8(s)}
}

// generate writes a testnet of n replicas for o into a temp dir.
func generate(t *testing.T, n int, o Options) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "net")
	opts := testnet.Options{OutDir: dir, N: n, Clients: 1, Rand: newSeeded(byte(n))}
	if err := ConfigureTestnet(&opts, o); err != nil {
		t.Fatal(err)
	}
	if err := testnet.Generate(opts); err != nil {
		t.Fatal(err)
	}
	return dir
}

// decoded is a manifest file read back with the API's own decoder.
type decoded struct {
	services     []*corev1.Service
	statefulSets []*appsv1.StatefulSet
	secrets      map[string]*corev1.Secret
	configMaps   map[string]*corev1.ConfigMap
	kinds        []string // "apiVersion kind" of every document, in order
	count        int
}

// decodeFile reads a multi-document YAML file strictly (unknown or
// duplicate fields fail) into the typed objects of a scheme that knows
// only what the manifests may hold.
func decodeFile(t *testing.T, name string) decoded {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := appsv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	dec := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
	d := decoded{secrets: map[string]*corev1.Secret{}, configMaps: map[string]*corev1.ConfigMap{}}
	for _, doc := range bytes.Split(data, []byte("\n"+documentSeparator)) {
		obj, gvk, err := dec.Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("document %d: %v\n%s", d.count, err, doc)
		}
		d.count++
		d.kinds = append(d.kinds, gvk.GroupVersion().String()+" "+gvk.Kind)
		switch o := obj.(type) {
		case *corev1.Service:
			d.services = append(d.services, o)
		case *appsv1.StatefulSet:
			d.statefulSets = append(d.statefulSets, o)
		case *corev1.Secret:
			d.secrets[o.Name] = o
		case *corev1.ConfigMap:
			d.configMaps[o.Name] = o
		default:
			t.Fatalf("document %d: unexpected %s", d.count, gvk)
		}
	}
	return d
}
