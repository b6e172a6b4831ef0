package telegramtest

// MessagesFrom returns the messages the bot sent or edited in all chats
// from position from on (0 is the first message ever recorded), in order,
// and the position to ask from next time. It copies only the new messages,
// so a load run that follows thousands of chats can tail the server cheaply
// instead of calling Messages per chat, which scans the whole record.
func (s *Server) MessagesFrom(from int) ([]Message, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if from < 0 {
		from = 0
	}
	if from >= len(s.messages) {
		return nil, len(s.messages)
	}
	out := make([]Message, len(s.messages)-from)
	copy(out, s.messages[from:])
	return out, len(s.messages)
}

// MessageCount returns how many messages the bot sent or edited so far
// (counted on a Lean server too).
func (s *Server) MessageCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sentCount
}
