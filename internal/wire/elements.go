package wire

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Element bounds checked before a frame is decoded. Decoding allocates per
// field occurrence (a struct per message, a slice header per bytes value),
// so an empty repeated entry, two bytes on the wire, can cost a hundred
// bytes of heap: 8 MB of them once cost 418 MB. Counting the occurrences
// first, with no allocation, refuses such a frame before it costs anything.
//
//   - A client message is one request with at most one proof of 2f+1
//     certificates (paths of a few dozen hashes each); its batch is opaque
//     bytes, decoded separately under MaxBatchElements.
//   - A replica message is at most a response of blocks, batches or proofs
//     whose own limits keep it far below this.
//   - A batch holds at most batch.Limits.MaxCommands commands (10,000 by
//     default) of three fields each.
const (
	MaxClientMessageElements = 1 << 16
	MaxMessageElements       = 1 << 20
	MaxBatchElements         = 1 << 18
)

// maxScanDepth bounds the nesting the scan follows; pompe's messages nest
// a handful of levels.
const maxScanDepth = 32

// ErrTooManyElements refuses a frame with more field occurrences than its
// kind allows.
var ErrTooManyElements = errors.New("wire: too many fields")

// CheckElements counts the field occurrences of b, a message of type md,
// and of every message nested in it, and refuses b if there are more than
// limit. It allocates nothing and reads each byte once. It does not check
// that b decodes; malformed input it cannot walk is left for the decoder
// to refuse.
func CheckElements(b []byte, md protoreflect.MessageDescriptor, limit int) error {
	count := 0
	if err := scanElements(b, md, limit, &count, 0); err != nil {
		return err
	}
	return nil
}

func scanElements(b []byte, md protoreflect.MessageDescriptor, limit int, count *int, depth int) error {
	if depth > maxScanDepth {
		return fmt.Errorf("wire: message nested deeper than %d", maxScanDepth)
	}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil // the decoder reports it
		}
		b = b[n:]
		if *count++; *count > limit {
			return fmt.Errorf("%w: more than %d in a %s", ErrTooManyElements, limit, md.Name())
		}
		if typ != protowire.BytesType {
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return nil
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return nil
		}
		b = b[n:]
		if md == nil {
			continue
		}
		fd := md.Fields().ByNumber(num)
		if fd == nil {
			continue
		}
		switch {
		case fd.Kind() == protoreflect.MessageKind:
			if err := scanElements(v, fd.Message(), limit, count, depth+1); err != nil {
				return err
			}
		case fd.IsList() && fd.Kind() != protoreflect.BytesKind && fd.Kind() != protoreflect.StringKind:
			// A packed list: one element per value.
			if err := countPacked(v, fd.Kind(), limit, count, md); err != nil {
				return err
			}
		}
	}
	return nil
}

func countPacked(v []byte, kind protoreflect.Kind, limit int, count *int, md protoreflect.MessageDescriptor) error {
	var typ protowire.Type
	switch kind {
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		typ = protowire.Fixed32Type
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		typ = protowire.Fixed64Type
	default:
		typ = protowire.VarintType
	}
	for len(v) > 0 {
		n := protowire.ConsumeFieldValue(1, typ, v)
		if n < 0 {
			return nil
		}
		v = v[n:]
		if *count++; *count > limit {
			return fmt.Errorf("%w: more than %d in a %s", ErrTooManyElements, limit, md.Name())
		}
	}
	return nil
}
