//go:build unix

package indexer

import (
	"os"
	"syscall"
	"unsafe"
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
//
// release(b) gives back the whole pages within b, a part of data; nil or
// all of data gives back every page.
func mapFile(path string) (data []byte, release func(b []byte), err error) {
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
	return data, func(b []byte) {
		if b == nil {
			b = data
		}
		if b = pagesWithin(b); len(b) > 0 {
			_ = syscall.Madvise(b, syscall.MADV_DONTNEED)
		}
	}, nil
}

// pagesWithin returns the part of b made of whole pages.
func pagesWithin(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	page := uintptr(os.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := (start + page - 1) &^ (page - 1)
	hi := (start + uintptr(len(b))) &^ (page - 1)
	if hi <= lo {
		return nil
	}
	return b[lo-start : hi-start]
}
