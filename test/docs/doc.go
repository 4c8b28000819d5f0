// Package docs holds tests that keep the repository's documentation true to
// the code:
//
//   - every citation of docs/protocol.md by section ("docs/protocol.md
//     section 3.2", "sections 2, 3.1-3.4 and 7", "§3.5"), in code comments,
//     docs and the README, names a section that docs/protocol.md has, and
//     nothing cites a protocol description outside the repository;
//   - relative links in Markdown files lead to files and headings that
//     exist;
//   - docs/metrics.md lists exactly the pompe_ series a running replica
//     serves, with their types and labels;
//   - docs/formats.md documents every key of the files a testnet is made
//     of, and the fault schedule format as internal/faults parses it.
//
// The package has no code of its own beyond what the tests share.
package docs
