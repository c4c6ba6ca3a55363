package api

// FlushQuestionLog writes the live-search entries that wait for the next
// keystroke, so that tests need not sleep.
func FlushQuestionLog(s *Server) { s.qlog.flush() }

// SetQuestionSpoolLimits changes the bounds of the question spool (10,000
// entries in memory, 50 MB of file) so that tests can fill it.
func SetQuestionSpoolLimits(s *Server, entries int, fileBytes int64) {
	sp := s.qlog.spool
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.maxMem, sp.maxBytes = entries, fileBytes
}
