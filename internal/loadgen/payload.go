package loadgen

import (
	"fmt"

	"github.com/pompe-bft/pompe/pkg/app/kvstore"
)

// commandKey appends the key of client's n-th command: fixed width, so
// every command of a run has the same size, and distinct across clients.
func commandKey(dst []byte, client int, n uint64) []byte {
	return fmt.Appendf(dst, "lg/%05d/%012d", client, n)
}

// payloads makes one client's commands.
type payloads struct {
	client int
	next   uint64
	keys   uint64 // distinct keys this client cycles through
	value  []byte
	key    []byte
}

// newPayloads sizes the value so that every put encodes to exactly
// sizeBytes (or the nearest size below that the varint lengths allow).
// It writes keys distinct from every other client's, keys of them in turn.
func newPayloads(client, sizeBytes, keys int) *payloads {
	key := commandKey(nil, client, 0)
	n := max(sizeBytes-len(kvstore.EncodePut(key, nil)), 0)
	for n > 0 && len(kvstore.EncodePut(key, make([]byte, n))) > sizeBytes {
		n--
	}
	value := make([]byte, n)
	for i := range value {
		value[i] = 'a' + byte(i%26)
	}
	return &payloads{client: client, value: value, keys: uint64(max(keys, 1))}
}

func (p *payloads) nextPut() []byte {
	p.key = commandKey(p.key[:0], p.client, p.next%p.keys)
	p.next++
	return kvstore.EncodePut(p.key, p.value)
}
