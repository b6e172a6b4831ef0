package knowledge

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// Every fact the bot states carries its source: a page (and which version
// of it), a general Dutch fact, or "team" for what the team must confirm.
// Everything the team must confirm is listed in README.md.
func TestEveryFactHasASource(t *testing.T) {
	city := readYAML(t, "facts.yaml")
	sources := map[string]bool{}
	for k := range city["sources"].(map[string]any) {
		sources[k] = true
	}
	for _, want := range []string{"nieuwland-oud", "nieuwland-nieuw", "hulp", "algemeen", "team"} {
		if !sources[want] {
			t.Errorf("facts.yaml: source %q is not defined", want)
		}
	}
	// Settings rather than facts: they carry no source of their own.
	settings := map[string]bool{"sources": true, "timezone": true, "holidays": true, "confirm_with_team": true}
	check := func(file string, doc map[string]any) {
		for key, v := range doc {
			if settings[key] {
				continue
			}
			switch v := v.(type) {
			case map[string]any:
				checkSource(t, file, key, v, sources)
			case []any:
				for i, item := range v {
					m, ok := item.(map[string]any)
					if !ok {
						t.Errorf("%s: %s[%d] is not a block with a source", file, key, i)
						continue
					}
					checkSource(t, file, key, m, sources)
				}
			default:
				t.Errorf("%s: %s has no source", file, key)
			}
		}
	}
	check("facts.yaml", city)
	teams := Teams()
	if len(teams) == 0 {
		t.Fatal("no team files")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## Facts to confirm with the team")
	if !ok {
		t.Fatal(`README.md has no section "## Facts to confirm with the team"`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	for _, team := range teams {
		doc := readYAML(t, "teams/"+team+".yaml")
		check("teams/"+team+".yaml", doc)
		confirm, _ := doc["confirm_with_team"].(map[string]any)
		if len(confirm) == 0 {
			t.Errorf("teams/%s.yaml: no confirm_with_team list", team)
		}
		for key := range confirm {
			if !strings.Contains(section, "`"+key+"`") {
				t.Errorf("teams/%s.yaml: %s is to be confirmed but README.md does not list `%s`", team, key, key)
			}
		}
	}
}

func checkSource(t *testing.T, file, key string, block map[string]any, sources map[string]bool) {
	t.Helper()
	src, _ := block["source"].(string)
	if src == "" {
		t.Errorf("%s: %s has no source", file, key)
		return
	}
	for _, s := range strings.Split(src, ",") {
		if !sources[strings.TrimSpace(s)] {
			t.Errorf("%s: %s has an unknown source %q", file, key, s)
		}
	}
}

func readYAML(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := files.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return doc
}
