// Package batch owns ordering batches as byte strings: their digest (the
// identity every layer uses), decoding, and the ownership rule that a
// replica accepts a batch only if every command in it belongs to the client
// whose authenticated connection submitted it (docs/protocol.md section 7).
package batch
