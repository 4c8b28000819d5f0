// Package crypto owns identities and signatures: ed25519 replica and client
// keys, client ids derived from public keys, domain-separated signing bytes,
// batch verification (curve25519-voi) with fallback to find the culprit,
// the quorum-certificate scheme behind the QuorumScheme interface, and a
// bounded cache of certificates already verified.
//
// Every signature covers a domain string and the cluster id first, so a
// signature made for one purpose (a vote, a timestamp root, a collect reply)
// is never valid for another or in another cluster. Consensus code depends
// only on Signer, Committee and QuorumScheme; an aggregate scheme such as BLS
// can replace the ed25519 multi-signature without touching it.
package crypto
