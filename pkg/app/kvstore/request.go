package kvstore

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Op is the operation of a request.
type Op byte

// Operations, as encoded in the first byte of a command payload.
const (
	OpPut    Op = 0x01
	OpGet    Op = 0x02
	OpDelete Op = 0x03
	OpCAS    Op = 0x04
)

func (op Op) String() string {
	switch op {
	case OpPut:
		return "put"
	case OpGet:
		return "get"
	case OpDelete:
		return "delete"
	case OpCAS:
		return "cas"
	default:
		return fmt.Sprintf("op(0x%02x)", byte(op))
	}
}

// Request is a decoded command. Slices returned by Decode alias the payload.
type Request struct {
	Op  Op
	Key []byte
	// Value is the value to store: put's value, or CAS's new value.
	Value []byte
	// Old is the value CAS expects the key to hold. It is ignored when
	// ExpectAbsent is set.
	Old []byte
	// ExpectAbsent makes a CAS succeed only if the key is absent.
	ExpectAbsent bool
}

// ErrMalformed is wrapped by every Decode error.
var ErrMalformed = errors.New("kvstore: malformed command")

// CAS presence markers, see the package documentation.
const (
	casExpectAbsent  = 0x00
	casExpectPresent = 0x01
)

// EncodePut encodes a put of value under key.
func EncodePut(key, value []byte) []byte {
	return Request{Op: OpPut, Key: key, Value: value}.Append(nil)
}

// EncodeGet encodes a get of key.
func EncodeGet(key []byte) []byte {
	return Request{Op: OpGet, Key: key}.Append(nil)
}

// EncodeDelete encodes a delete of key.
func EncodeDelete(key []byte) []byte {
	return Request{Op: OpDelete, Key: key}.Append(nil)
}

// EncodeCAS encodes a compare-and-swap: key is set to newValue only if it
// currently holds old. A nil old means the key must be absent; a non-nil
// empty old means the key must hold the empty value.
func EncodeCAS(key, old, newValue []byte) []byte {
	return Request{Op: OpCAS, Key: key, Old: old, ExpectAbsent: old == nil, Value: newValue}.Append(nil)
}

// Append appends the canonical encoding of r to dst. Fields that r's
// operation does not use are not encoded.
func (r Request) Append(dst []byte) []byte {
	dst = append(dst, byte(r.Op))
	dst = appendBytes(dst, r.Key)
	switch r.Op {
	case OpPut:
		dst = appendBytes(dst, r.Value)
	case OpCAS:
		if r.ExpectAbsent {
			dst = append(dst, casExpectAbsent)
		} else {
			dst = append(dst, casExpectPresent)
			dst = appendBytes(dst, r.Old)
		}
		dst = appendBytes(dst, r.Value)
	}
	return dst
}

// Decode parses a command payload. It never panics; any payload that is not
// the canonical encoding of a request yields an error wrapping ErrMalformed.
func Decode(payload []byte) (Request, error) {
	if len(payload) == 0 {
		return Request{}, fmt.Errorf("%w: empty payload", ErrMalformed)
	}
	d := decoder{buf: payload[1:], kind: ErrMalformed}
	r := Request{Op: Op(payload[0])}
	switch r.Op {
	case OpPut:
		r.Key = d.bytes("key")
		r.Value = d.bytes("value")
	case OpGet, OpDelete:
		r.Key = d.bytes("key")
	case OpCAS:
		r.Key = d.bytes("key")
		switch d.byte("cas presence") {
		case casExpectAbsent:
			r.ExpectAbsent = true
		case casExpectPresent:
			r.Old = d.bytes("old value")
		default:
			d.fail("cas presence marker must be 0 or 1")
		}
		r.Value = d.bytes("new value")
	default:
		return Request{}, fmt.Errorf("%w: unknown operation 0x%02x", ErrMalformed, payload[0])
	}
	if err := d.finish(); err != nil {
		return Request{}, err
	}
	return r, nil
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// decoder reads canonical length-prefixed fields. After the first error
// every read returns zero values, so callers check once at the end.
type decoder struct {
	buf  []byte
	kind error // wrapped by every error: ErrMalformed or ErrMalformedResult
	err  error
}

func (d *decoder) fail(reason string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", d.kind, reason)
	}
}

func (d *decoder) byte(what string) byte {
	if d.err != nil {
		return 0
	}
	if len(d.buf) == 0 {
		d.fail("truncated before " + what)
		return 0
	}
	b := d.buf[0]
	d.buf = d.buf[1:]
	return b
}

func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.fail("bad length of " + what)
		return 0
	}
	// Only the shortest encoding is canonical; anything else would give
	// one request two encodings.
	if n != uvarintLen(v) {
		d.fail("non-minimal length of " + what)
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) bytes(what string) []byte {
	n := d.uvarint(what)
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.buf)) {
		d.fail(fmt.Sprintf("%s length %d exceeds remaining %d bytes", what, n, len(d.buf)))
		return nil
	}
	b := d.buf[:n:n]
	d.buf = d.buf[n:]
	return b
}

func (d *decoder) finish() error {
	if d.err == nil && len(d.buf) != 0 {
		d.fail(fmt.Sprintf("%d trailing bytes", len(d.buf)))
	}
	return d.err
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}
