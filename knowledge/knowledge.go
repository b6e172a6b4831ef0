// Package knowledge is the bot's knowledge base: the facts about WOT
// Nieuwland (facts.yaml), the opening hours of its walk-in desk and care line
// (the team file (teams/*.yaml)), and the answer to each intent (answers.LANG.yaml). Answers
// about opening hours are worked out from the clock: "nu open tot 18.00",
// "morgen (donderdag) open van 09.30 tot 18.00", holidays included.
package knowledge

import (
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/wotschiedam/wotbot/dialog"
	"github.com/wotschiedam/wotbot/locales"
)

//go:embed facts.yaml teams/*.yaml aspects.yaml answers.*.yaml aspects.*.yaml
var files embed.FS

// DefaultTeam is the team whose file (teams/<team>.yaml) New loads.
const DefaultTeam = "nieuwland"

// MessageFiles returns the file system with the answers' message files, for
// locales.Load. It also holds facts.yaml and the team file (teams/*.yaml), which the catalog
// skips because their names carry no language.
func MessageFiles() fs.FS { return files }

// Intents lists the intent labels the knowledge base has an answer for.
func Intents() []string {
	return []string{
		"greeting", "thanks", "goodbye", "about", "for_whom", "what_help",
		"opening_hours", "contact", "procedure", "costs", "privacy",
		"client_support", "register_self", "register_other", "human", "crisis",
		"out_of_scope",
	}
}

// Intent labels the knowledge base treats specially.
const (
	intentOpeningHours = "opening_hours"
	intentOutOfScope   = "out_of_scope"
)

// Base answers questions. It is read-only after New and safe for concurrent
// use.
type Base struct {
	cat     *locales.Catalog
	facts   Facts
	hours   *hours
	aspects *aspects
	langs   map[string]*langText
	memo    *memo
	// retentionDays is how long a closed request is kept (the option
	// RetentionDays, default dialog.DefaultRetentionDays); the privacy
	// answers say so.
	retentionDays int
}

// Option configures a Base.
type Option func(*Base)

// RetentionDays sets how many days a closed request is kept, which the
// privacy answers quote (default dialog.DefaultRetentionDays).
func RetentionDays(n int) Option { return func(b *Base) { b.retentionDays = n } }

// langText is everything that depends only on the language, rendered once.
type langText struct {
	lang     string
	answers  map[string]string // intent -> answer
	weekdays [7]string         // by time.Weekday
	months   [13]string        // by time.Month
	holidays map[string]string // holiday key -> name
	services [2]serviceText    // by service
}

// serviceText is the fixed part of the hours answers of one service.
type serviceText struct {
	prefix   string // message ID prefix: "hours.desk."
	sched    *Schedule
	week     string // the weekly hours, rendered
	fallback string // another way to reach the WOT
}

// New loads the facts of DefaultTeam and renders the fixed answers. The
// catalog must have been loaded with MessageFiles.
func New(cat *locales.Catalog, opts ...Option) (*Base, error) {
	return ForTeam(cat, DefaultTeam, opts...)
}

// Teams lists the teams that have a data file.
func Teams() []string {
	names, _ := fs.Glob(files, "teams/*.yaml")
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.TrimSuffix(strings.TrimPrefix(n, "teams/"), ".yaml")
	}
	return out
}

// ForTeam loads the city's facts and one team's file (teams/<team>.yaml:
// its address, phone numbers and opening hours).
func ForTeam(cat *locales.Catalog, team string, opts ...Option) (*Base, error) {
	fdata, err := files.ReadFile("facts.yaml")
	if err != nil {
		return nil, fmt.Errorf("read facts: %w", err)
	}
	tdata, err := files.ReadFile("teams/" + team + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("team %q: no data file (have %v): %w", team, Teams(), err)
	}
	facts, err := parseFacts(fdata, tdata)
	if err != nil {
		return nil, err
	}
	h, err := parseHours(tdata)
	if err != nil {
		return nil, err
	}
	// The care line's hours are said as "dagelijks van .. tot ..": they must
	// be the same every day for that to be true.
	first := h.phone.week[0]
	for _, sp := range h.phone.week {
		if sp != first || !sp.isOpen() {
			return nil, fmt.Errorf("the team file (teams/*.yaml) zorgcentrale: the answers say it is open daily; give every day the same hours")
		}
	}
	facts.CareLine.Opens, facts.CareLine.Closes = clock(first.open), clock(first.close)

	adata, err := files.ReadFile("aspects.yaml")
	if err != nil {
		return nil, fmt.Errorf("read aspects: %w", err)
	}
	as, err := parseAspects(adata)
	if err != nil {
		return nil, err
	}
	b := &Base{cat: cat, facts: facts, hours: h, aspects: as, langs: map[string]*langText{}, memo: newMemo(), retentionDays: dialog.DefaultRetentionDays}
	for _, o := range opts {
		o(b)
	}
	for _, lang := range locales.Languages {
		if err := b.checkMessages(lang); err != nil {
			return nil, err
		}
		b.langs[lang] = b.render(lang)
	}
	return b, nil
}

// messageIDs the hours answers use; New refuses to start when one is missing
// rather than show a resident a message ID.
func messageIDs() []string {
	ids := []string{"knowledge.list_and", "knowledge.date", "knowledge.when.today",
		"knowledge.when.tomorrow", "knowledge.when.day_after", "knowledge.when.date",
		"hours.week_line"}
	for _, svc := range []string{"hours.desk.", "hours.phone."} {
		for _, id := range []string{"open_now_until", "open_now", "closed_now", "opens_today", "reopens",
			"day_open", "day_closed", "day_holiday", "day_extra_closed", "usually",
			"weekend_closed", "latest", "latest_daily", "next_latest", "week",
			"week_daily", "week_closed_days", "holidays_closed", "fallback"} {
			ids = append(ids, svc+id)
		}
	}
	ids = append(ids, "hours.desk.call_now", "hours.desk.call_later", "hours.desk.call_later_today",
		"hours.desk.may_change", "answer.other_area")
	for i := time.Sunday; i <= time.Saturday; i++ {
		ids = append(ids, "knowledge.weekday."+strings.ToLower(i.String()))
	}
	for m := time.January; m <= time.December; m++ {
		ids = append(ids, "knowledge.month."+strings.ToLower(m.String()))
	}
	for _, k := range holidayKeys {
		ids = append(ids, "knowledge.holiday."+k)
	}
	for _, in := range Intents() {
		ids = append(ids, "answer."+in)
	}
	return ids
}

func (b *Base) checkMessages(lang string) error {
	// Aspect answers are not required: a language without one gives the
	// intent's general answer (TestAspectAnswers checks Dutch and English).
	for _, id := range messageIDs() {
		if !b.cat.Has(lang, id) {
			return fmt.Errorf("knowledge: message %s missing in %s (was the catalog loaded with knowledge.MessageFiles?)", id, lang)
		}
	}
	return nil
}

// answerData is what the answers' templates can use.
type answerData struct {
	Facts
	// The lists of Facts, joined in the answer's language.
	OrganisationList string
	TopicList        string
	PartnerList      string
	// The same lists one item per line, for long lists.
	OrganisationBullets string
	TopicBullets        string
	PartnerBullets      string
	// DeskWeek is the desk's weekly hours (for the opening_hours answer).
	DeskWeek string
	// RetentionDays is how long a closed request is kept.
	RetentionDays int
}

func (b *Base) render(lang string) *langText {
	lt := &langText{lang: lang, answers: map[string]string{}, holidays: map[string]string{}}
	for i := time.Sunday; i <= time.Saturday; i++ {
		lt.weekdays[i] = b.cat.T(lang, "knowledge.weekday."+strings.ToLower(i.String()), nil)
	}
	for m := time.January; m <= time.December; m++ {
		lt.months[m] = b.cat.T(lang, "knowledge.month."+strings.ToLower(m.String()), nil)
	}
	for _, k := range holidayKeys {
		lt.holidays[k] = b.cat.T(lang, "knowledge.holiday."+k, nil)
	}
	lt.services[serviceDesk] = serviceText{prefix: "hours.desk.", sched: b.hours.desk}
	lt.services[servicePhone] = serviceText{prefix: "hours.phone.", sched: b.hours.phone}
	for i := range lt.services {
		st := &lt.services[i]
		st.week = b.weekText(lt, st)
		st.fallback = b.cat.T(lang, st.prefix+"fallback", b.hoursData(nil))
	}

	names := func(ns []Name) []string {
		out := make([]string, len(ns))
		for i, n := range ns {
			out[i] = n.In(lang)
		}
		return out
	}
	bullets := func(ns []Name) string { return "- " + strings.Join(names(ns), "\n- ") }
	data := answerData{
		Facts:               b.facts,
		OrganisationList:    b.join(lang, names(b.facts.Organisations)),
		TopicList:           b.join(lang, names(b.facts.Topics)),
		PartnerList:         b.join(lang, names(b.facts.Partners)),
		OrganisationBullets: bullets(b.facts.Organisations),
		TopicBullets:        bullets(b.facts.Topics),
		PartnerBullets:      bullets(b.facts.Partners),
		DeskWeek:            lt.services[serviceDesk].week,
		RetentionDays:       b.retentionDays,
	}
	for _, id := range b.cat.IDs(lang) {
		if in, ok := strings.CutPrefix(id, "answer."); ok {
			lt.answers[in] = b.cat.T(lang, id, data)
		}
	}
	return lt
}

// weekText renders a service's weekly hours, one line per open day, then the
// days it is closed.
func (b *Base) weekText(lt *langText, st *serviceText) string {
	var out []string
	if w := st.sched.week; w == [7]span{w[0], w[0], w[0], w[0], w[0], w[0], w[0]} && w[0].isOpen() {
		out = append(out, b.cat.T(lt.lang, st.prefix+"week_daily", b.hoursData(&hoursData{Open: clock(w[0].open), Close: clock(w[0].close)})))
	} else {
		out = append(out, b.weekLines(lt, st)...)
	}
	if st.sched.closedOnHolidays {
		out = append(out, b.cat.T(lt.lang, st.prefix+"holidays_closed", nil))
	}
	return strings.Join(out, "\n")
}

// weekLines lists the open days one per line, then the closed days.
func (b *Base) weekLines(lt *langText, st *serviceText) []string {
	var lines, closed []string
	// Monday first, as people read a week.
	for i := 1; i <= 7; i++ {
		wd := time.Weekday(i % 7)
		sp := st.sched.week[wd]
		if !sp.isOpen() {
			closed = append(closed, lt.weekdays[wd])
			continue
		}
		lines = append(lines, b.cat.T(lt.lang, "hours.week_line", hoursData{
			Weekday: lt.weekdays[wd], Open: clock(sp.open), Close: clock(sp.close),
		}))
	}
	out := []string{b.cat.T(lt.lang, st.prefix+"week", b.hoursData(nil))}
	out = append(out, lines...)
	if len(closed) > 0 {
		out = append(out, b.cat.T(lt.lang, st.prefix+"week_closed_days", hoursData{Days: b.join(lt.lang, closed)}))
	}
	return out
}

// join lists items the way a sentence does: "a, b en c".
func (b *Base) join(lang string, items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + b.cat.T(lang, "knowledge.list_and", nil) + " " + items[len(items)-1]
}

// Facts returns the facts, for other parts of the bot that mention them.
func (b *Base) Facts() Facts {
	f := b.facts
	f.Organisations = append([]Name(nil), f.Organisations...)
	f.Topics = append([]Name(nil), f.Topics...)
	f.Partners = append([]Name(nil), f.Partners...)
	return f
}

// TemplateFacts returns the facts as template data for other messages:
// {{.Desk.Phone}}, {{.CareLine.Phone}}, {{.CareLine.Opens}}, {{.Crisis.VeiligThuis}}.
// OrgList is the organisations of the team joined per language, for
// sentences that name them: {{.OrgList.nl}}.
func (b *Base) TemplateFacts() map[string]any {
	orgs := map[string]string{}
	for _, lang := range locales.Languages {
		names := make([]string, len(b.facts.Organisations))
		for i, n := range b.facts.Organisations {
			names[i] = n.In(lang)
		}
		orgs[lang] = b.join(lang, names)
	}
	return map[string]any{
		"WOT":       b.facts.WOT,
		"Desk":      b.facts.Desk,
		"CareLine":  b.facts.CareLine,
		"Procedure": b.facts.Procedure,
		"Crisis":    b.facts.Crisis,
		"OrgList":   orgs,
	}
}

// Location is the time zone of all opening hours (Europe/Amsterdam).
func (b *Base) Location() *time.Location { return b.hours.loc }

// Desk returns the walk-in desk's opening hours.
func (b *Base) Desk() *Schedule { return b.hours.desk }

// CareLine returns the care line's opening hours.
func (b *Base) CareLine() *Schedule { return b.hours.phone }

// OpenNow reports whether the walk-in desk is open at t and until when.
func (b *Base) OpenNow(t time.Time) (bool, time.Time) { return b.hours.desk.OpenNow(t) }

// NextOpening returns when the walk-in desk next opens after t.
func (b *Base) NextOpening(t time.Time) time.Time { return b.hours.desk.NextOpening(t) }

// CallbackDue is the day by which the WOT calls back a request submitted at
// t: the promised number of working days after the day of submission, with
// weekends and the holidays of the team file (teams/*.yaml) left out. It is midnight at the
// start of that day, Dutch time.
func (b *Base) CallbackDue(t time.Time) time.Time {
	return b.hours.callbackDue(t, b.facts.Procedure.CallbackWorkingDays)
}

// FormatDate writes a day the way people say it: "maandag 30 november",
// "Monday 30 November".
func (b *Base) FormatDate(lang string, d time.Time) string {
	return b.formatDate(b.lang(lang), dateOf(d.In(b.hours.loc)))
}

func (b *Base) formatDate(lt *langText, d date) string {
	return b.t(lt.lang, "knowledge.date", hoursData{
		Weekday: lt.weekdays[d.weekday()], Day: d.D, Month: lt.months[d.M],
	})
}

func (b *Base) lang(lang string) *langText { return b.langs[locales.Norm(lang)] }

// Answer renders the answer to a question of the given intent. An unknown
// intent gets the out-of-scope answer, so the reply is never empty.
//
// A question about one aspect of the intent ("helpen jullie met schulden?",
// "kan het gesprek bij mij thuis?") gets the answer to that aspect; see
// Aspect. A question that names another neighbourhood of the city first
// hears that this team is for its own neighbourhood and how to find the
// right one.
func (b *Base) Answer(intent, lang, question string, now time.Time) string {
	lt := b.lang(lang)
	var a string
	if intent == intentOpeningHours {
		a = b.hoursAnswer(lt, question, now)
	} else {
		a = b.generalAnswer(lt, intent, question)
	}
	if intent == "crisis" {
		return a
	}
	switch intent {
	case "human", "contact", "costs", "out_of_scope", "register_self", "register_other":
		// These answers say "call the care line": when it is closed now,
		// say so, and when it opens again.
		a += b.careLineClosedNow(lt, now)
	}
	if other := b.OtherArea(lt.lang, question); other != "" {
		switch intent {
		case intentOutOfScope, "for_whom", "about", "greeting", "thanks":
			return other // their question was where they belong
		}
		return other + "\n\n" + a
	}
	return a
}

// generalAnswer is the fixed answer to a question of the given intent: the
// answer to its aspect when the question asks about one, else the intent's
// own answer, else the out-of-scope answer.
func (b *Base) generalAnswer(lt *langText, intent, question string) string {
	if as := b.aspects.find(intent, question); as != "" {
		if a := lt.answers[intent+"."+as]; a != "" {
			return a
		}
	}
	if a := lt.answers[intent]; a != "" && intent != "other_area" {
		return a
	}
	// "register_other.worried" asked by name, in a language without it.
	if base, _, ok := strings.Cut(intent, "."); ok && lt.answers[base] != "" {
		return lt.answers[base]
	}
	return lt.answers[intentOutOfScope]
}

// Aspect names what a question of the given intent asks about, below the
// intent: "debts" for what_help, "tomorrow" or "evening" for opening_hours,
// "deletion" for privacy. It is "" for the general question.
func (b *Base) Aspect(intent, question string) string {
	if intent == intentOpeningHours {
		return b.hoursAspect(question)
	}
	return b.aspects.find(intent, question)
}
