//go:build !unix

package indexer

import "os"

// mapFile reads path into memory (see the unix version).
func mapFile(path string) (data []byte, release func(b []byte), err error) {
	data, err = os.ReadFile(path)
	return data, nil, err
}
