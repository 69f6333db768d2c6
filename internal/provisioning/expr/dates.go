package expr

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// This file holds the date functions. Entra has no date type in attribute
// values: CDate, Now, DateAdd and DateFromNum all produce strings in the
// en-US general format "M/d/yyyy h:mm:ss tt", in UTC, and the functions that
// take dates read that format among others. Entra's servers run on UTC, so
// "local time" in .NET terms is UTC here too.

// entraDateLayout is "M/d/yyyy h:mm:ss tt" in Go's notation.
const entraDateLayout = "1/2/2006 3:04:05 PM"

// looseLayouts are the date forms CDate and the other date functions accept:
// ISO 8601 with or without time and offset (Workday's "2020-03-16-07:00"
// included), Entra's own output format, LDAP generalized time and RFC 1123.
// A form without an offset is UTC.
var looseLayouts = []string{
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04Z07:00",
	"2006-01-02 15:04",
	"2006-01-02Z07:00",
	"2006-01-02",
	"1/2/2006 3:04:05 PM",
	"1/2/2006 3:04 PM",
	"1/2/2006 15:04:05",
	"1/2/2006 15:04",
	"1/2/2006",
	"20060102150405Z07:00",
	"20060102150405Z0700",
	"20060102150405",
	time.RFC1123,
	time.RFC1123Z,
}

// parseDate reads a date in any of looseLayouts and returns it in UTC.
func parseDate(s string) (time.Time, error) {
	// Go only reads upper-case AM/PM; month and day names match in any case.
	u := strings.ToUpper(strings.TrimSpace(s))
	for _, layout := range looseLayouts {
		if t, err := time.Parse(layout, u); err == nil {
			t = t.UTC()
			return t, checkYear(t)
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a recognised date", s)
}

// checkYear keeps dates within .NET's DateTime range, years 1 to 9999.
func checkYear(t time.Time) error {
	if y := t.Year(); y < 1 || y > 9999 {
		return errors.New("the date is outside years 1 to 9999")
	}
	return nil
}

func formatEntraDate(t time.Time) (Value, error) {
	if err := checkYear(t); err != nil {
		return Value{}, err
	}
	return String(t.Format(entraDateLayout)), nil
}

// date evaluates argument i as a date; ok is false when it is null.
func (ev *evaluator) date(c *callNode, i int) (t time.Time, ok bool, err error) {
	s, ok, err := ev.text(c, i)
	if err != nil || !ok {
		return time.Time{}, false, err
	}
	if t, err = parseDate(s); err != nil {
		return time.Time{}, false, argError(c, i, "%v", err)
	}
	return t, true, nil
}

// evalCDate: "2009-06-15T01:45:30-07:00" gives "6/15/2009 8:45:30 AM".
// Null gives null.
func evalCDate(ev *evaluator, c *callNode) (Value, error) {
	t, ok, err := ev.date(c, 0)
	if err != nil || !ok {
		return Value{}, err
	}
	return formatEntraDate(t)
}

func evalNow(ev *evaluator, c *callNode) (Value, error) {
	v, err := formatEntraDate(ev.clock())
	if err != nil {
		return Value{}, fail(c, "%v", err)
	}
	return v, nil
}

// interval is a DateAdd/DateDiff unit.
type interval string

const (
	intervalYear   interval = "yyyy"
	intervalMonth  interval = "m"
	intervalDay    interval = "d"
	intervalWeek   interval = "ww"
	intervalHour   interval = "h"
	intervalMinute interval = "n"
	intervalSecond interval = "s"
)

// secondsIn gives the length of the fixed-length intervals.
var secondsIn = map[interval]int64{
	intervalDay:    86400,
	intervalWeek:   7 * 86400,
	intervalHour:   3600,
	intervalMinute: 60,
	intervalSecond: 1,
}

func parseInterval(s string) (interval, error) {
	switch iv := interval(strings.ToLower(strings.TrimSpace(s))); iv {
	case intervalYear, intervalMonth, intervalDay, intervalWeek, intervalHour, intervalMinute, intervalSecond:
		return iv, nil
	}
	return "", fmt.Errorf("%q is not one of the intervals yyyy, m, d, ww, h, n, s", s)
}

func checkInterval(c *callNode) error {
	if s, ok := literal(c, 0); ok {
		if _, err := parseInterval(s); err != nil {
			return literalError(c, 0, err)
		}
	}
	return nil
}

func checkDateAdd(c *callNode) error {
	if err := checkInterval(c); err != nil {
		return err
	}
	return numericArgs(1)(c)
}

func (ev *evaluator) interval(c *callNode) (interval, error) {
	s, _, err := ev.text(c, 0)
	if err != nil {
		return "", err
	}
	iv, err := parseInterval(s)
	if err != nil {
		return "", argError(c, 0, "%v", err)
	}
	return iv, nil
}

// maxSpanSeconds bounds DateAdd's arithmetic: no step within .NET's date
// range can be longer than 10,000 years.
const maxSpanSeconds = 10000 * 366 * 86400

// evalDateAdd adds whole intervals. Months and years clamp the day to the
// end of a shorter month, as .NET's AddMonths does (Jan 31 + 1 month is
// Feb 28 or 29). A null dateTime gives null.
func evalDateAdd(ev *evaluator, c *callNode) (Value, error) {
	iv, err := ev.interval(c)
	if err != nil {
		return Value{}, err
	}
	n, err := ev.requiredInteger(c, 1)
	if err != nil {
		return Value{}, err
	}
	t, ok, err := ev.date(c, 2)
	if err != nil || !ok {
		return Value{}, err
	}
	var out time.Time
	switch iv {
	case intervalYear, intervalMonth:
		if n > 12*10000 || n < -12*10000 {
			return Value{}, argError(c, 1, "is out of range")
		}
		months := int(n)
		if iv == intervalYear {
			months *= 12
		}
		out = addMonths(t, months)
	default:
		unit := secondsIn[iv]
		if n > maxSpanSeconds/unit || n < -maxSpanSeconds/unit {
			return Value{}, argError(c, 1, "is out of range")
		}
		out = time.Unix(t.Unix()+n*unit, int64(t.Nanosecond())).UTC()
	}
	v, err := formatEntraDate(out)
	if err != nil {
		return Value{}, fail(c, "%v", err)
	}
	return v, nil
}

func addMonths(t time.Time, months int) time.Time {
	y, m, d := t.Date()
	total := y*12 + int(m) - 1 + months
	ny := total / 12
	if total%12 < 0 {
		ny-- // floor division, for dates pushed before year 0
	}
	nm := time.Month(total - ny*12 + 1)
	d = min(d, daysIn(ny, nm))
	return time.Date(ny, nm, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

func daysIn(year int, month time.Month) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// evalDateDiff returns date2 - date1 in whole intervals. Years and months
// count calendar boundaries (VB's DateDiff: 2021-08 to 2012-03 is -113
// months); weeks count Sundays crossed, which is what makes Microsoft's
// example give -493 rather than -492; days, hours, minutes and seconds are
// elapsed time truncated toward zero. Null in either date gives null.
func evalDateDiff(ev *evaluator, c *callNode) (Value, error) {
	iv, err := ev.interval(c)
	if err != nil {
		return Value{}, err
	}
	d1, ok1, err := ev.date(c, 1)
	if err != nil {
		return Value{}, err
	}
	d2, ok2, err := ev.date(c, 2)
	if err != nil || !ok1 || !ok2 {
		return Value{}, err
	}
	var n int64
	switch iv {
	case intervalYear:
		n = int64(d2.Year() - d1.Year())
	case intervalMonth:
		n = int64((d2.Year()-d1.Year())*12 + int(d2.Month()) - int(d1.Month()))
	case intervalWeek:
		sunday := func(t time.Time) int64 {
			day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
			return day.AddDate(0, 0, -int(day.Weekday())).Unix()
		}
		n = (sunday(d2) - sunday(d1)) / secondsIn[intervalWeek]
	default:
		secs := d2.Unix() - d1.Unix()
		// Borrow so that the nanoseconds share the sign of the seconds;
		// integer division then truncates the true difference.
		if ns := d2.Nanosecond() - d1.Nanosecond(); secs > 0 && ns < 0 {
			secs--
		} else if secs < 0 && ns > 0 {
			secs++
		}
		n = secs / secondsIn[iv]
	}
	return String(strconv.FormatInt(n, 10)), nil
}

// Active Directory dates (accountExpires, lastLogonTimestamp) count 100 ns
// ticks since 1601-01-01 UTC.
const (
	ticksPerSecond   = 10_000_000
	secondsFrom1601  = 11_644_473_600 // 1601-01-01 to 1970-01-01
	maxFileTimeTicks = 2_650_467_743_999_999_999
)

// evalDateFromNum: 129699324000000000 gives "1/1/2012 11:00:00 PM". Null
// gives null; AD's 0 and "never" values outside .NET's range are errors.
func evalDateFromNum(ev *evaluator, c *callNode) (Value, error) {
	ticks, ok, err := ev.integer(c, 0)
	if err != nil || !ok {
		return Value{}, err
	}
	if ticks < 0 || ticks > maxFileTimeTicks {
		return Value{}, argError(c, 0, "%d is outside the dates .NET can represent", ticks)
	}
	t := time.Unix(ticks/ticksPerSecond-secondsFrom1601, ticks%ticksPerSecond*100).UTC()
	return formatEntraDate(t)
}

// evalNumFromDate is the inverse of DateFromNum. Null gives null.
func evalNumFromDate(ev *evaluator, c *callNode) (Value, error) {
	t, ok, err := ev.date(c, 0)
	if err != nil || !ok {
		return Value{}, err
	}
	if t.Year() < 1601 {
		return Value{}, argError(c, 0, "is before 1601, where Active Directory dates begin")
	}
	ticks := (t.Unix()+secondsFrom1601)*ticksPerSecond + int64(t.Nanosecond()/100)
	return String(strconv.FormatInt(ticks, 10)), nil
}

// evalFormatDateTime parses source with a .NET custom (or standard) format
// and writes it with another; see dotnet.go. Null gives null.
func evalFormatDateTime(ev *evaluator, c *callNode) (Value, error) {
	src, ok, err := ev.text(c, 0)
	if err != nil {
		return Value{}, err
	}
	stylesText, _, err := ev.text(c, 1)
	if err != nil {
		return Value{}, err
	}
	styles, err := parseStyles(stylesText)
	if err != nil {
		return Value{}, argError(c, 1, "%v", err)
	}
	var formats [2][]fmtToken
	for i := range formats {
		f, present, err := ev.text(c, i+2)
		if err != nil {
			return Value{}, err
		}
		if !present {
			return Value{}, argError(c, i+2, "is null")
		}
		if formats[i], err = tokenizeFormat(f); err != nil {
			return Value{}, argError(c, i+2, "%v", err)
		}
	}
	if !ok {
		return Value{}, nil
	}
	t, kind, err := parseExact(src, formats[0], styles, ev.clock)
	if err != nil {
		return Value{}, fail(c, "%q does not match inputFormat: %v", src, err)
	}
	return String(formatTime(t, kind, formats[1])), nil
}

func checkFormatDateTime(c *callNode) error {
	if s, ok := literal(c, 1); ok {
		if _, err := parseStyles(s); err != nil {
			return literalError(c, 1, err)
		}
	}
	for i := 2; i <= 3; i++ {
		if s, ok := literal(c, i); ok {
			if _, err := tokenizeFormat(s); err != nil {
				return literalError(c, i, err)
			}
		}
	}
	return nil
}
