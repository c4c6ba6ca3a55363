package bleve

// RecordBuffersFree is how many of SearchScratch's buffers are free.
func RecordBuffersFree() int { return len(recordBuffers) }
