package knowledge

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// Facts are the things the bot knows about WOT Nieuwland, loaded from
// facts.yaml (and the care line's hours from the team file (teams/*.yaml)). Answers and dialog
// messages fill their templates from these, so every fact is written once.
type Facts struct {
	WOT       WOT       `yaml:"wot"`
	Desk      Desk      `yaml:"desk"`
	CareLine  CareLine  `yaml:"care_line"`
	Procedure Procedure `yaml:"procedure"`
	Crisis    Crisis    `yaml:"crisis"`
	// Organisations form WOT Nieuwland together.
	Organisations []Name `yaml:"organisations"`
	// Topics are what the WOTs' experts know about.
	Topics []Name `yaml:"topics"`
	// Partners are organisations the WOTs work with.
	Partners []Name `yaml:"partners"`
	// CityAreas are the city's neighbourhoods, to recognise a resident of
	// another team's area.
	CityAreas CityAreas `yaml:"city_areas"`
	// Sources name where facts come from; every block of facts has one.
	Sources map[string]string `yaml:"sources"`
}

// CityAreas lists neighbourhood names of the city.
type CityAreas struct {
	Source string   `yaml:"source"`
	Names  []string `yaml:"names"`
}

// WOT is the team itself.
type WOT struct {
	Source        string `yaml:"source"`
	Name          string `yaml:"name"`
	Neighbourhood string `yaml:"neighbourhood"`
	City          string `yaml:"city"`
	TeamsInCity   int    `yaml:"teams_in_city"`
	// Website is where the team's current hours are, in words.
	Website string `yaml:"website"`
}

// Desk is the walk-in desk (balie), from the older version of the team's page.
type Desk struct {
	Source   string `yaml:"source"`
	Building string `yaml:"building"`
	Street   string `yaml:"street"`
	Postcode string `yaml:"postcode"`
	City     string `yaml:"city"`
	Phone    string `yaml:"phone"`
	Email    string `yaml:"email"`
}

// CareLine is the phone line (zorgcentrale), from the newer version of the
// team's page. Opens and Closes come from the team file (teams/*.yaml): its hours on a Monday,
// which the page says are the same every day.
type CareLine struct {
	Source string `yaml:"source"`
	Phone  string `yaml:"phone"`
	Email  string `yaml:"email"`
	Opens  string `yaml:"-"` // "08.00"
	Closes string `yaml:"-"` // "20.00"
}

// Procedure is what the "Hulp" page says about registering.
type Procedure struct {
	Source              string `yaml:"source"`
	CallbackWorkingDays int    `yaml:"callback_working_days"`
	MoreHelpWeeks       int    `yaml:"more_help_weeks"`
}

// Crisis holds the general Dutch emergency numbers.
type Crisis struct {
	Source                string `yaml:"source"`
	Emergency             string `yaml:"emergency"`
	VeiligThuis           string `yaml:"veilig_thuis"`
	SuicidePrevention     string `yaml:"suicide_prevention"`
	SuicidePreventionChat string `yaml:"suicide_prevention_chat"`
}

// Name is a name in Dutch with an optional English version.
type Name struct {
	Source string `yaml:"source"`
	NL     string `yaml:"nl"`
	EN     string `yaml:"en"`
}

// In returns the name in lang ("nl" or "en").
func (n Name) In(lang string) string {
	if lang == "en" && n.EN != "" {
		return n.EN
	}
	return n.NL
}

// parseFacts reads the city's facts and then one team's file over them.
func parseFacts(city, team []byte) (Facts, error) {
	var f Facts
	if err := yaml.Unmarshal(city, &f); err != nil {
		return Facts{}, fmt.Errorf("parse facts.yaml: %w", err)
	}
	if err := yaml.Unmarshal(team, &f); err != nil {
		return Facts{}, fmt.Errorf("parse team file: %w", err)
	}
	// A missing fact would leave a hole in an answer ("bel ."): refuse it.
	required := map[string]string{
		"wot.name":                       f.WOT.Name,
		"wot.neighbourhood":              f.WOT.Neighbourhood,
		"wot.city":                       f.WOT.City,
		"desk.building":                  f.Desk.Building,
		"desk.street":                    f.Desk.Street,
		"desk.postcode":                  f.Desk.Postcode,
		"desk.city":                      f.Desk.City,
		"desk.phone":                     f.Desk.Phone,
		"desk.email":                     f.Desk.Email,
		"care_line.phone":                f.CareLine.Phone,
		"care_line.email":                f.CareLine.Email,
		"crisis.emergency":               f.Crisis.Emergency,
		"crisis.veilig_thuis":            f.Crisis.VeiligThuis,
		"crisis.suicide_prevention":      f.Crisis.SuicidePrevention,
		"crisis.suicide_prevention_chat": f.Crisis.SuicidePreventionChat,
	}
	for k, v := range required {
		if v == "" {
			return Facts{}, fmt.Errorf("facts.yaml: %s is empty", k)
		}
	}
	if f.WOT.TeamsInCity <= 0 || f.Procedure.CallbackWorkingDays <= 0 || f.Procedure.MoreHelpWeeks <= 0 {
		return Facts{}, fmt.Errorf("facts.yaml: wot.teams_in_city, procedure.callback_working_days and procedure.more_help_weeks must be above 0")
	}
	for what, l := range map[string][]Name{"organisations": f.Organisations, "topics": f.Topics, "partners": f.Partners} {
		if len(l) == 0 {
			return Facts{}, fmt.Errorf("facts.yaml: %s is empty", what)
		}
		for i, n := range l {
			if n.NL == "" {
				return Facts{}, fmt.Errorf("facts.yaml: %s[%d] has no nl name", what, i)
			}
		}
	}
	return f, nil
}
