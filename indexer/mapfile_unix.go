//go:build unix

package indexer

import (
	"os"
	"syscall"
)

// mapFile maps path read-only into memory. The mapping is never undone:
// documents decoded from it point into it for the life of the process.
// Pages come from the page cache as they are used, so reading a large
// snapshot costs neither a copy nor fresh memory. The file must be
// replaced by renaming over it (as WriteFileAtomic does), never truncated
// in place, while a process has it mapped.
func mapFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() == 0 || int64(int(st.Size())) != st.Size() {
		return os.ReadFile(path)
	}
	return syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_PRIVATE)
}
