//go:build !unix

package indexer

import "os"

// mapFile reads path into memory (see the unix version).
func mapFile(path string) ([]byte, error) { return os.ReadFile(path) }
