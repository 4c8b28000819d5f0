// Package tsproof owns Pompe's timestamp certificates and sequence proofs
// (docs/protocol.md sections 2 and 7): the Merkle tree a replica signs once per
// window of timestamp requests, the certificate each client receives for its
// batch, the median rule (index f of the 2f+1 sorted timestamps), and the
// verification of a proof with batch signature checks and a bounded cache of
// verified root signatures, so each root is checked once per replica however
// many proofs carry it.
//
// Leaves are H(0x00 || SigningBytes("pompe/ts", cluster, replica, d, ts)),
// inner nodes H(0x01 || left || right); the prefixes keep a leaf from ever
// being read as an inner node. A level of odd width promotes its last node
// unchanged, and the signed leaf count fixes the tree's shape, so a path
// proves exactly one (index, leaf) pair.
package tsproof
