package expr

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// This file implements enough of .NET's DateTime.ParseExact and
// DateTime.ToString to give FormatDateTime the meaning Microsoft documents:
// its formats are .NET custom date and time format strings, and its
// dateTimeStyles are System.Globalization.DateTimeStyles. Names and
// standard formats are those of en-US, the culture Entra's date output
// shows.

// fmtToken is one element of a format string: a specifier letter repeated
// n times, or literal text.
type fmtToken struct {
	spec byte // 0 for literal text
	n    int
	lit  string
}

// standardFormats are .NET's one-letter standard formats, in en-US.
var standardFormats = map[string]string{
	"d": "M/d/yyyy",
	"D": "dddd, MMMM d, yyyy",
	"f": "dddd, MMMM d, yyyy h:mm tt",
	"F": "dddd, MMMM d, yyyy h:mm:ss tt",
	"g": "M/d/yyyy h:mm tt",
	"G": "M/d/yyyy h:mm:ss tt",
	"m": "MMMM d",
	"M": "MMMM d",
	"o": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
	"O": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
	"r": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
	"R": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
	"s": "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
	"t": "h:mm tt",
	"T": "h:mm:ss tt",
	"u": "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
	"U": "dddd, MMMM d, yyyy h:mm:ss tt",
	"y": "MMMM yyyy",
	"Y": "MMMM yyyy",
}

const specifiers = "dfFghHKmMstyz"

func tokenizeFormat(f string) ([]fmtToken, error) {
	if f == "" {
		return nil, errors.New("the format is empty")
	}
	if utf8.RuneCountInString(f) == 1 {
		std, ok := standardFormats[f]
		if !ok {
			return nil, fmt.Errorf("%q is not a standard format; write a one-letter custom format as %%%s", f, f)
		}
		f = std
	}
	var toks []fmtToken
	for i := 0; i < len(f); {
		ch := f[i]
		switch {
		case strings.IndexByte(specifiers, ch) >= 0:
			n := 1
			for i+n < len(f) && f[i+n] == ch {
				n++
			}
			if (ch == 'f' || ch == 'F') && n > 7 {
				return nil, fmt.Errorf("%q has more than 7 %c specifiers", f, ch)
			}
			toks = append(toks, fmtToken{spec: ch, n: n})
			i += n
		case ch == '\'' || ch == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(f) && f[j] != ch; j++ {
				if f[j] == '\\' && j+1 < len(f) {
					j++
				}
				b.WriteByte(f[j])
			}
			if j >= len(f) {
				return nil, fmt.Errorf("%q has an unterminated quoted string", f)
			}
			toks = append(toks, fmtToken{lit: b.String()})
			i = j + 1
		case ch == '%':
			if i+1 >= len(f) || f[i+1] == '%' {
				return nil, fmt.Errorf("%q has a '%%' that is not followed by a specifier", f)
			}
			if next := f[i+1]; strings.IndexByte(specifiers, next) >= 0 {
				toks = append(toks, fmtToken{spec: next, n: 1})
				i += 2
			} else {
				i++ // a '%' before anything else is ignored
			}
		case ch == '\\':
			if i+1 >= len(f) {
				return nil, fmt.Errorf("%q ends with a '\\'", f)
			}
			_, size := utf8.DecodeRuneInString(f[i+1:])
			toks = append(toks, fmtToken{lit: f[i+1 : i+1+size]})
			i += 1 + size
		case ch == 'Z':
			// Literal when formatting; when parsing, .NET reads it as the
			// UTC designator, which "yyyyMMddHHmmss.fZ" relies on.
			toks = append(toks, fmtToken{spec: 'Z', n: 1})
			i++
		default:
			_, size := utf8.DecodeRuneInString(f[i:])
			toks = append(toks, fmtToken{lit: f[i : i+size]})
			i += size
		}
	}
	return toks, nil
}

// dtKind is .NET's DateTimeKind. The instant is always UTC here; the kind
// only changes what the K specifier writes.
type dtKind int

const (
	kindUnspecified dtKind = iota
	kindUTC
	kindLocal
)

func formatTime(t time.Time, kind dtKind, toks []fmtToken) string {
	var b strings.Builder
	pad := func(v, width int) { fmt.Fprintf(&b, "%0*d", width, v) }
	fraction := fmt.Sprintf("%07d", t.Nanosecond()/100)
	for _, tok := range toks {
		n := tok.n
		switch tok.spec {
		case 0:
			b.WriteString(tok.lit)
		case 'd':
			switch {
			case n <= 2:
				pad(t.Day(), n)
			case n == 3:
				b.WriteString(t.Weekday().String()[:3])
			default:
				b.WriteString(t.Weekday().String())
			}
		case 'M':
			switch {
			case n <= 2:
				pad(int(t.Month()), n)
			case n == 3:
				b.WriteString(t.Month().String()[:3])
			default:
				b.WriteString(t.Month().String())
			}
		case 'y':
			switch {
			case n == 1:
				b.WriteString(strconv.Itoa(t.Year() % 100))
			case n == 2:
				pad(t.Year()%100, 2)
			default:
				pad(t.Year(), n)
			}
		case 'h':
			pad((t.Hour()+11)%12+1, min(n, 2))
		case 'H':
			pad(t.Hour(), min(n, 2))
		case 'm':
			pad(t.Minute(), min(n, 2))
		case 's':
			pad(t.Second(), min(n, 2))
		case 'f':
			b.WriteString(fraction[:n])
		case 'F':
			if digits := strings.TrimRight(fraction[:n], "0"); digits != "" {
				b.WriteString(digits)
			} else if s := b.String(); strings.HasSuffix(s, ".") {
				// .NET drops the point before an empty F fraction.
				b.Reset()
				b.WriteString(s[:len(s)-1])
			}
		case 't':
			mark := "AM"
			if t.Hour() >= 12 {
				mark = "PM"
			}
			b.WriteString(mark[:min(n, 2)])
		case 'z':
			b.WriteString([]string{"+0", "+00", "+00:00"}[min(n, 3)-1])
		case 'K':
			switch kind {
			case kindUTC:
				b.WriteString("Z")
			case kindLocal:
				b.WriteString("+00:00")
			}
		case 'g':
			b.WriteString("A.D.")
		case 'Z':
			b.WriteString("Z")
		}
	}
	return b.String()
}

// dtStyles is the subset of DateTimeStyles that matters when local time is
// UTC: white space handling, the current-date default, and the DateTimeKind
// of the result.
type dtStyles struct {
	leading, trailing, inner       bool
	noCurrentDate                  bool
	adjust, assumeLocal, assumeUTC bool
	roundtrip                      bool
}

// parseStyles reads a comma- or |-separated list of DateTimeStyles names.
// Empty means Microsoft's default: RoundtripKind, AllowLeadingWhite,
// AllowTrailingWhite.
func parseStyles(s string) (dtStyles, error) {
	if strings.TrimSpace(s) == "" {
		return dtStyles{leading: true, trailing: true, roundtrip: true}, nil
	}
	var st dtStyles
	for _, name := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '|' }) {
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "none":
		case "allowleadingwhite":
			st.leading = true
		case "allowtrailingwhite":
			st.trailing = true
		case "allowinnerwhite":
			st.inner = true
		case "allowwhitespaces":
			st.leading, st.trailing, st.inner = true, true, true
		case "nocurrentdatedefault":
			st.noCurrentDate = true
		case "adjusttouniversal":
			st.adjust = true
		case "assumelocal":
			st.assumeLocal = true
		case "assumeuniversal":
			st.assumeUTC = true
		case "roundtripkind":
			st.roundtrip = true
		default:
			return dtStyles{}, fmt.Errorf("%q is not a DateTimeStyles value", strings.TrimSpace(name))
		}
	}
	if st.assumeLocal && st.assumeUTC {
		return dtStyles{}, errors.New("AssumeLocal and AssumeUniversal exclude each other")
	}
	if st.roundtrip && (st.adjust || st.assumeLocal || st.assumeUTC) {
		return dtStyles{}, errors.New("RoundtripKind excludes AdjustToUniversal, AssumeLocal and AssumeUniversal")
	}
	return st, nil
}

// dtParser walks the input of parseExact.
type dtParser struct {
	s string
	i int
}

func (p *dtParser) skipSpace() {
	for p.i < len(p.s) && unicode.IsSpace(rune(p.s[p.i])) {
		p.i++
	}
}

// digits reads between lo and hi decimal digits.
func (p *dtParser) digits(lo, hi int) (int, bool) {
	v, n := 0, 0
	for n < hi && p.i < len(p.s) && isDigit(rune(p.s[p.i])) {
		v = v*10 + int(p.s[p.i]-'0')
		p.i++
		n++
	}
	return v, n >= lo
}

// word reads the longest of names that the input starts with, in any case,
// and returns its index.
func (p *dtParser) word(names []string) (int, bool) {
	best, bestLen := -1, 0
	for i, name := range names {
		if len(name) > bestLen && len(p.s)-p.i >= len(name) && strings.EqualFold(p.s[p.i:p.i+len(name)], name) {
			best, bestLen = i, len(name)
		}
	}
	p.i += bestLen
	return best, best >= 0
}

func (p *dtParser) literal(lit string) bool {
	if strings.HasPrefix(p.s[p.i:], lit) {
		p.i += len(lit)
		return true
	}
	return false
}

var monthNames, monthAbbrevs, dayNames, dayAbbrevs = func() (m, ma, d, da []string) {
	for i := time.January; i <= time.December; i++ {
		m = append(m, i.String())
		ma = append(ma, i.String()[:3])
	}
	for i := time.Sunday; i <= time.Saturday; i++ {
		d = append(d, i.String())
		da = append(da, i.String()[:3])
	}
	return
}()

// parseExact reads s in the format toks. now supplies the date when the
// format has none.
func parseExact(s string, toks []fmtToken, st dtStyles, now func() time.Time) (time.Time, dtKind, error) {
	p := &dtParser{s: s}
	if st.leading {
		p.skipSpace()
	}
	year, month, day, hour, minute, second, nanos := -1, -1, -1, 0, 0, 0, 0
	weekday, pm := -1, -1
	hour12, hasOffset, utc := false, false, false
	offset := 0
	bad := func(what string) (time.Time, dtKind, error) {
		return time.Time{}, 0, fmt.Errorf("expected %s at offset %d", what, p.i)
	}
	for k, tok := range toks {
		n := tok.n
		if st.inner && k > 0 {
			p.skipSpace()
		}
		var ok bool
		switch tok.spec {
		case 0:
			for _, r := range tok.lit {
				switch {
				case r == ' ' && st.inner:
					p.skipSpace()
				case r == '.' && k+1 < len(toks) && toks[k+1].spec == 'F' && !strings.HasPrefix(p.s[p.i:], "."):
					// .NET lets ".FFF" match nothing at all.
				case !p.literal(string(r)):
					return bad(strconv.Quote(string(r)))
				}
			}
			continue
		case 'd':
			switch {
			case n <= 2:
				day, ok = p.digits(n, 2)
			case n == 3:
				weekday, ok = p.word(dayAbbrevs)
			default:
				weekday, ok = p.word(dayNames)
			}
		case 'M':
			switch {
			case n <= 2:
				month, ok = p.digits(n, 2)
			case n == 3:
				month, ok = p.word(monthAbbrevs)
				month++
			default:
				month, ok = p.word(monthNames)
				month++
			}
		case 'y':
			if n <= 2 {
				year, ok = p.digits(n, 2)
				// .NET's two-digit year window ends at 2049.
				if year < 50 {
					year += 2000
				} else {
					year += 1900
				}
			} else {
				year, ok = p.digits(n, n)
			}
		case 'h', 'H':
			hour, ok = p.digits(min(n, 2), 2)
			hour12 = hour12 || tok.spec == 'h'
		case 'm':
			minute, ok = p.digits(min(n, 2), 2)
		case 's':
			second, ok = p.digits(min(n, 2), 2)
		case 'f', 'F':
			start := p.i
			var v int
			if tok.spec == 'f' {
				v, ok = p.digits(n, n)
			} else {
				v, ok = p.digits(0, n)
			}
			for range 9 - (p.i - start) {
				v *= 10
			}
			nanos = v
		case 't':
			marks := []string{"AM", "PM"}
			if n == 1 {
				marks = []string{"A", "P"}
			}
			pm, ok = p.word(marks)
		case 'z':
			var off int
			off, ok = p.offset(n)
			offset, hasOffset = off, hasOffset || ok
		case 'K':
			ok = true
			switch {
			case p.literal("Z") || p.literal("z"):
				utc = true
			case p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-'):
				offset, ok = p.offset(3)
				hasOffset = true
			}
		case 'Z':
			ok = p.literal("Z") || p.literal("z") || p.literal("GMT")
			utc = utc || ok
		case 'g':
			_, ok = p.word([]string{"A.D.", "AD"})
		}
		if !ok {
			return bad(describeSpec(tok))
		}
	}
	if st.trailing {
		p.skipSpace()
	}
	if p.i < len(p.s) {
		return time.Time{}, 0, fmt.Errorf("unexpected %q at offset %d", p.s[p.i:], p.i)
	}

	if pm >= 0 {
		switch {
		case hour > 12 && hour12, hour > 12 && pm == 0:
			return time.Time{}, 0, fmt.Errorf("hour %d does not go with %s", hour, []string{"AM", "PM"}[pm])
		case pm == 1 && hour < 12:
			hour += 12
		case pm == 0 && hour == 12:
			hour = 0
		}
	} else if hour12 && hour > 12 {
		return time.Time{}, 0, fmt.Errorf("hour %d is not a 12-hour clock hour", hour)
	}
	if year < 0 && month < 0 && day < 0 {
		if st.noCurrentDate {
			year, month, day = 1, 1, 1
		} else {
			y, m, d := now().Date()
			year, month, day = y, int(m), d
		}
	}
	if year < 0 {
		year = now().Year()
	}
	month, day = max(month, 1), max(day, 1)
	switch {
	case year < 1 || year > 9999:
		return time.Time{}, 0, fmt.Errorf("year %d is outside 1 to 9999", year)
	case month > 12:
		return time.Time{}, 0, fmt.Errorf("month %d does not exist", month)
	case day > daysIn(year, time.Month(month)):
		return time.Time{}, 0, fmt.Errorf("%s %d has no day %d", time.Month(month), year, day)
	case hour > 23 || minute > 59 || second > 59:
		return time.Time{}, 0, fmt.Errorf("time %02d:%02d:%02d does not exist", hour, minute, second)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, nanos, time.UTC)
	if weekday >= 0 && time.Weekday(weekday) != t.Weekday() {
		return time.Time{}, 0, fmt.Errorf("%s is not a %s", t.Format("2006-01-02"), time.Weekday(weekday))
	}
	t = t.Add(-time.Duration(offset) * time.Second)
	if err := checkYear(t); err != nil {
		return time.Time{}, 0, err
	}

	kind := kindUnspecified
	switch {
	case utc && (st.roundtrip || st.adjust), hasOffset && st.adjust:
		kind = kindUTC
	case utc, hasOffset:
		kind = kindLocal
	case st.adjust:
		kind = kindUTC
	case st.assumeLocal || st.assumeUTC:
		kind = kindLocal
	}
	return t, kind, nil
}

// offset reads a UTC offset for a z specifier repeated n times: +h, +hh or
// +hh:mm (the colon may be left out). It returns seconds east of UTC.
func (p *dtParser) offset(n int) (int, bool) {
	if p.i >= len(p.s) || (p.s[p.i] != '+' && p.s[p.i] != '-') {
		return 0, false
	}
	sign := 1
	if p.s[p.i] == '-' {
		sign = -1
	}
	p.i++
	h, ok := p.digits(min(n, 2), 2)
	if !ok || h > 14 {
		return 0, false
	}
	m := 0
	if n >= 3 {
		p.literal(":")
		if m, ok = p.digits(2, 2); !ok || m > 59 {
			return 0, false
		}
	}
	return sign * (h*3600 + m*60), true
}

func describeSpec(tok fmtToken) string {
	return strconv.Quote(strings.Repeat(string(tok.spec), tok.n))
}
