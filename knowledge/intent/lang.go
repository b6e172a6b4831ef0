package intent

import "strings"

// Function words that tell Dutch from English. Words both languages use
// ("in", "is", "me", "we", "hoi"/"hi" greetings, "ok") are left out, so a
// message made only of them does not tell.
var nlWords = set(`ik je jij u uw mijn mij wij ons onze jullie hij zij het de een
	en maar want dus niet geen wel ook nog al er hier daar dat die dit deze wat wie waar
	waarom wanneer hoe welke van voor met naar bij op aan om uit door tot te zijn ben bent
	heb hebt heeft hebben kan kunt kunnen wil wilt willen moet moeten mag mogen zou zal
	graag goedemorgen goedemiddag goedenavond dag doei bedankt dank dankjewel
	alstublieft alsjeblieft ja nee kosten hulp vraag zelf iemand iets kinderen geld
	schulden hoeveel mogelijk afspraak aanmelden openingstijden`)

var enWords = set(`i you your my mine we our us they he she it the a an and or but so not
	no yes also still there here that this these those what who where why when how which 
	for with to at on from about by are am were have has can could will would
	should must may please hello good morning afternoon evening bye goodbye thanks thank
	question someone something child children money debt debts cost costs much many
	appointment register opening hours do does`)

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// detectLang returns "nl" or "en" when the normalised text clearly is that
// language, "" when it does not tell.
func detectLang(norm string) string {
	nl, en := 0, 0
	for _, w := range strings.Fields(norm) {
		if nlWords[w] {
			nl++
		}
		if enWords[w] {
			en++
		}
	}
	switch {
	case nl > en:
		return "nl"
	case en > nl:
		return "en"
	}
	return ""
}
