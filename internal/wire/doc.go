// Package wire owns pompe's on-the-wire format: the protobuf messages in
// pompe.proto (generated code committed in pompe.pb.go) and the
// length-prefixed framing that carries one message per frame.
//
// A frame is a 4-byte big-endian length followed by that many bytes of
// protobuf. Readers enforce a hard maximum so that a peer cannot make a
// replica allocate more than MaxFrameBytes for one frame; a frame that is
// too large, truncated or undecodable is an error that closes the
// connection and nothing else.
package wire
