package kvstore

import (
	"errors"
	"fmt"
)

// Result is the outcome of one command, as a client decodes it.
type Result struct {
	// Found reports whether the key was present before the command.
	Found bool
	// Value is the value read by a get, or the value a CAS found before it
	// ran. Empty otherwise.
	Value []byte
	// OK is true for a successful put, get or delete, and for a CAS that
	// swapped. It is false for a CAS whose comparison failed and for every
	// failed command.
	OK bool
	// Err is non-empty if the command failed and changed nothing.
	Err string
}

// Result status bytes and success flags, see the package documentation.
const (
	statusSuccess = 0x00
	statusFailure = 0x01

	flagFound = 1 << 0
	flagOK    = 1 << 1
)

// ErrMalformedResult is wrapped by every DecodeResult error.
var ErrMalformedResult = errors.New("kvstore: malformed result")

// AppendResult appends the encoding of res to dst. A result with Err set is
// encoded as a failure, and its other fields are dropped.
func AppendResult(dst []byte, res Result) []byte {
	if res.Err != "" {
		dst = append(dst, statusFailure)
		return appendBytes(dst, []byte(res.Err))
	}
	var flags byte
	if res.Found {
		flags |= flagFound
	}
	if res.OK {
		flags |= flagOK
	}
	dst = append(dst, statusSuccess, flags)
	return appendBytes(dst, res.Value)
}

// successResultBytes is the length of the encoding of a successful result
// carrying value.
func successResultBytes(value []byte) int {
	return 2 + uvarintLen(uint64(len(value))) + len(value)
}

// EncodeResult returns the encoding of res.
func EncodeResult(res Result) []byte { return AppendResult(nil, res) }

// DecodeResult parses a result returned by the store. Its Value aliases b.
// It never panics on any input.
func DecodeResult(b []byte) (Result, error) {
	if len(b) == 0 {
		return Result{}, fmt.Errorf("%w: empty", ErrMalformedResult)
	}
	d := decoder{buf: b[1:], kind: ErrMalformedResult}
	var res Result
	switch b[0] {
	case statusSuccess:
		flags := d.byte("flags")
		if flags&^(flagFound|flagOK) != 0 {
			d.fail(fmt.Sprintf("unknown flags 0x%02x", flags))
		}
		res.Found = flags&flagFound != 0
		res.OK = flags&flagOK != 0
		res.Value = d.bytes("value")
	case statusFailure:
		msg := d.bytes("message")
		if d.err == nil && len(msg) == 0 {
			d.fail("failure without a message")
		}
		res.Err = string(msg)
	default:
		return Result{}, fmt.Errorf("%w: unknown status 0x%02x", ErrMalformedResult, b[0])
	}
	if err := d.finish(); err != nil {
		return Result{}, err
	}
	return res, nil
}
