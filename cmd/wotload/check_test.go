package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A desk killed between posting a request and recording so posts it again
// marked "maybe twice": that passes, and is counted. A second post without
// the mark is a duplicate, and a request posted only with the mark (the
// first desk died before its post went out) is not lost.
func TestCheckAcceptsMarkedRepost(t *testing.T) {
	const maybe = "Let op: dit bericht staat hier misschien twee keer."
	for _, tc := range []struct {
		name    string
		posts   []bool // per post of the request: marked "maybe twice"
		dup     int
		lost    int
		flagged int
	}{
		{"once", []bool{false}, 0, 0, 0},
		{"re-posted marked", []bool{false, true}, 0, 0, 1},
		{"only the marked post", []bool{true}, 0, 0, 1},
		{"twice unmarked", []bool{false, false}, 1, 0, 0},
		{"twice unmarked and once marked", []bool{false, true, false}, 1, 0, 1},
		{"never", nil, 0, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := newFakeAPI(t)
			p := newProfile(randFor(1, 3), 3, chatBase)
			const ref = "WOT-ABC123"
			for _, marked := range tc.posts {
				text := fmt.Sprintf("<b>Nieuwe aanmelding %s</b>\nNaam: %s\nTelefoon: x\nVraag: %s", ref, p.name, p.desc)
				if marked {
					text += "\n" + maybe
				}
				q := url.Values{"chat_id": {fmt.Sprint(staffChatID)}, "text": {text}}
				resp, err := http.Post(api.URL+"/bot"+api.Token+"/sendMessage?"+q.Encode(), "", nil)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			o := outcome{p: p, finished: true, ref: ref}
			var st stats
			failures := check(checkInput{outcomes: []outcome{o}, inbox: newInbox(api), desk: true, maybeDup: maybe}, &st)
			if st.dup != tc.dup || st.lost != tc.lost || st.flaggedDup != tc.flagged {
				t.Errorf("dup %d, lost %d, flagged %d; want %d, %d, %d\n%s",
					st.dup, st.lost, st.flaggedDup, tc.dup, tc.lost, tc.flagged, strings.Join(failures, "\n"))
			}
			if joined := strings.Join(failures, "\n"); strings.Contains(joined, "more than once") != (tc.dup > 0) {
				t.Errorf("failures:\n%s", joined)
			}
		})
	}
}

// What a restarted replica sends again of the previous answer is told
// from the new answer only when it is the end of the previous one.
func TestRepeatedLead(t *testing.T) {
	prev := []string{"welkom", "voor wie?"}
	for _, tc := range []struct {
		texts []string
		want  int
	}{
		{[]string{"onderwerp?"}, 0},
		{[]string{"welkom", "voor wie?", "onderwerp?"}, 2},
		{[]string{"voor wie?", "onderwerp?"}, 1},
		{[]string{"welkom", "voor wie?"}, 2},  // the new answer is still to come
		{[]string{"welkom", "onderwerp?"}, 0}, // not the end of the previous answer
		{nil, 0},
	} {
		if got := repeatedLead(tc.texts, prev); got != tc.want {
			t.Errorf("repeatedLead(%q) = %d, want %d", tc.texts, got, tc.want)
		}
	}
}
