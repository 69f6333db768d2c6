package expr

import "strings"

// diacritics is the character table of Microsoft's NormalizeDiacritics
// reference, grouped by replacement. Microsoft also lists sequences with
// combining marks (ā́, c̄, e̊̄, ø̄, œ̄, ṳ̄ …); normalizeDiacritics covers them by
// dropping the marks, which is why œ, Œ, ṳ and Ṳ appear here although
// Microsoft only lists them with a macron.
var diacritics = map[string]string{
	"a":  "àáâãäåāăąǟǡ",
	"A":  "ÀÁÂÃÄÅĀĂĄǞǠ",
	"ae": "æǣ",
	"AE": "ÆǢ",
	"c":  "çćč",
	"C":  "ÇĆČ",
	"d":  "ďḏ",
	"D":  "ĎḎ",
	"e":  "èéêëēėęěḕḗ",
	"E":  "ÈÉÊËĒĖĘĚḔḖ",
	"g":  "ğḡ",
	"G":  "ĞḠ",
	"i":  "ìíîïīı",
	"I":  "ÌÍÎÏĪİ",
	"l":  "ľłḹḻ",
	"L":  "ĽŁḸḺ",
	"n":  "ñńňṉ",
	"N":  "ÑŃŇṈ",
	"o":  "òóôõöōőǭȫȭȱṑṓ",
	"O":  "ÒÓÔÕÖŌŐǬȪȬȰṐṒ",
	"oe": "øœ",
	"OE": "ØŒ",
	"r":  "řṝṟ",
	"R":  "ŘṜṞ",
	"s":  "śşšș",
	"S":  "ŚŞŠȘ",
	"ss": "ß",
	"t":  "ťțṯ",
	"T":  "ŤȚṮ",
	"u":  "ùúûüūůűǖṻṳ",
	"U":  "ÙÚÛÜŪŮŰǕṺṲ",
	"y":  "ýÿȳ",
	"Y":  "ÝŸȲ",
	"z":  "źżžẕ",
	"Z":  "ŹŻŽẔ",
}

// diacriticTable is diacritics inverted: character to replacement.
var diacriticTable = func() map[rune]string {
	m := make(map[rune]string)
	for repl, chars := range diacritics {
		for _, r := range chars {
			m[r] = repl
		}
	}
	return m
}()

// normalizeDiacritics replaces the characters of the table and drops
// combining diacritical marks (U+0300–U+036F) that follow a Latin letter,
// which also handles decomposed input such as "e" followed by U+0308.
// Other characters pass through unchanged.
func normalizeDiacritics(s string) string {
	var b strings.Builder
	afterLetter := false
	for _, r := range s {
		switch repl, ok := diacriticTable[r]; {
		case ok:
			b.WriteString(repl)
			afterLetter = true
		case afterLetter && 0x300 <= r && r <= 0x36f:
		default:
			b.WriteRune(r)
			afterLetter = isLetter(r)
		}
	}
	return b.String()
}
