//go:build !unix

package indexer

import "os"

// lockFile does nothing where flock is missing: there, only one process
// may write a data directory's embedding cache at a time.
func lockFile(f *os.File) (func(), error) { return func() {}, nil }
