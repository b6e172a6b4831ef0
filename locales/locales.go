// Package locales holds every sentence a person reads, per language, as
// go-i18n message files, and renders them.
//
// Message files are named TOPIC.LANG.yaml (for example intake.nl.yaml) so
// that each part of the bot keeps its own sentences in its own file. Other
// packages may add files of the same form (the knowledge base does).
package locales

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"
)

//go:embed *.yaml
var files embed.FS

// Languages the bot speaks; the first is the default. Turkish, Arabic and
// Polish are the languages many residents of Nieuwland speak at home.
var Languages = []string{"nl", "en", "tr", "ar", "pl"}

// Default is the language used when nothing else is known.
const Default = "nl"

// Catalog renders messages by ID in a language.
type Catalog struct {
	bundle     *i18n.Bundle
	localizers map[string]*i18n.Localizer
	ids        map[string]map[string]bool // lang -> id set

	mu    sync.RWMutex
	cache map[cacheKey]string // messages without template data
}

type cacheKey struct{ lang, id string }

// Load reads the embedded message files plus the *.yaml message files at the
// root of each extra file system.
func Load(extra ...fs.FS) (*Catalog, error) {
	c := &Catalog{
		bundle:     i18n.NewBundle(language.Dutch),
		localizers: map[string]*i18n.Localizer{},
		ids:        map[string]map[string]bool{},
		cache:      map[cacheKey]string{},
	}
	c.bundle.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	for _, fsys := range append([]fs.FS{files}, extra...) {
		if err := c.loadFS(fsys); err != nil {
			return nil, err
		}
	}
	for _, l := range Languages {
		c.localizers[l] = i18n.NewLocalizer(c.bundle, l)
	}
	return c, nil
}

func (c *Catalog) loadFS(fsys fs.FS) error {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return fmt.Errorf("list message files: %w", err)
	}
	for _, name := range names {
		lang := langOf(name)
		if lang == "" {
			continue // not a message file (e.g. intents.yaml)
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		mf, err := c.bundle.ParseMessageFileBytes(data, name)
		if err != nil {
			return fmt.Errorf("parse %s: %w", name, err)
		}
		if c.ids[lang] == nil {
			c.ids[lang] = map[string]bool{}
		}
		for _, m := range mf.Messages {
			c.ids[lang][m.ID] = true
		}
	}
	return nil
}

// langOf returns the language of a TOPIC.LANG.yaml file name, or "".
func langOf(name string) string {
	base := strings.TrimSuffix(path.Base(name), ".yaml")
	i := strings.LastIndexByte(base, '.')
	if i < 0 {
		return ""
	}
	l := base[i+1:]
	for _, known := range Languages {
		if l == known {
			return l
		}
	}
	return ""
}

// Norm maps any language tag to one the bot speaks ("en-GB" -> "en").
func Norm(lang string) string {
	lang = strings.ToLower(strings.TrimSpace(lang))
	for _, l := range Languages {
		if lang == l || strings.HasPrefix(lang, l+"-") || strings.HasPrefix(lang, l+"_") {
			return l
		}
	}
	return Default
}

// T renders message id in lang with optional template data. A missing
// message falls back to Dutch and then to the ID itself, so a person never
// gets an empty reply; the locales tests make sure that never happens.
func (c *Catalog) T(lang, id string, data any) string {
	lang = Norm(lang)
	if data == nil {
		c.mu.RLock()
		s, ok := c.cache[cacheKey{lang, id}]
		c.mu.RUnlock()
		if ok {
			return s
		}
	}
	s, err := c.localizers[lang].Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil || s == "" {
		if lang != Default {
			return c.T(Default, id, data)
		}
		return id
	}
	if RTL(lang) {
		s = Isolate(s)
	}
	if data == nil {
		c.mu.Lock()
		c.cache[cacheKey{lang, id}] = s
		c.mu.Unlock()
	}
	return s
}

// Has reports whether id exists in lang.
func (c *Catalog) Has(lang, id string) bool { return c.ids[lang][id] }

// IDs lists the message IDs of lang, sorted.
func (c *Catalog) IDs(lang string) []string {
	out := make([]string, 0, len(c.ids[lang]))
	for id := range c.ids[lang] {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
