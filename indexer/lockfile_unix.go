//go:build unix

package indexer

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on f (flock), waiting for
// another process to release it; the function returned releases it.
func lockFile(f *os.File) (func(), error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }, nil
	}
}
