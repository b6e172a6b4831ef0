package handoff

import "strings"

// DeadLetterStream names the stream that keeps the entries of stream that
// could not be read ("{wot:handoff}:dead" for "wot:handoff"). It shares the
// stream's cluster slot, so one script can move an entry from one to the
// other.
func DeadLetterStream(stream string) string {
	if open := strings.IndexByte(stream, '{'); open >= 0 {
		if end := strings.IndexByte(stream[open+1:], '}'); end > 0 {
			return stream + ":dead"
		}
	}
	return "{" + stream + "}:dead"
}
