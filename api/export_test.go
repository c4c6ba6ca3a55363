package api

// FlushQuestionLog writes the live-search entries that wait for the next
// keystroke, so that tests need not sleep.
func FlushQuestionLog(s *Server) { s.qlog.flush() }
