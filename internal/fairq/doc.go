// Package fairq is a bounded queue that hands out items fairly between
// senders: deficit round robin weighted by each item's cost (its bytes).
//
// A replica's client messages used to reach the state machine in arrival
// order through one FIFO, so a correct client's small request waited behind
// every large request another sender had queued before it. With this queue,
// each sender with items waiting gets the same share of cost per round: a
// sender of small requests waits behind at most one item of each other
// active sender, however many they queued, and a sender alone gets
// everything.
package fairq
