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
//
// release, when not nil, gives the pages back after a first full read:
// checking the snapshot's checksums touches every page, and left resident
// they counted as the process's memory (267 MiB at 100,000 chunks) though
// a server only ever reads a small part again. Later reads fault pages
// back in from the page cache or the file.
func mapFile(path string) (data []byte, release func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if st.Size() == 0 || int64(int(st.Size())) != st.Size() {
		data, err := os.ReadFile(path)
		return data, nil, err
	}
	data, err = syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		return nil, nil, err
	}
	// A read-only private mapping of a file: dropped pages are read from
	// the file again, never lost (on anonymous memory MADV_DONTNEED would
	// zero them, which is why only a mapping gets a release).
	return data, func() { _ = syscall.Madvise(data, syscall.MADV_DONTNEED) }, nil
}
