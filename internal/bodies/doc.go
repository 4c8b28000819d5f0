// Package bodies owns how batch bodies are kept on disk, for both payload
// rule sets (baseline mempool and Pompe ordering): a body is stored under
// its digest when a block holding it is validated or committed, indexed by
// the height it committed at, and pruned with the blocks beyond retention.
//
// Key layout: 'P' digest -> body; 'Q' height(8) digest -> nothing.
package bodies
