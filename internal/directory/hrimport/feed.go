package hrimport

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

// The columns of a feed: Graph user attribute names, and managerEmployeeId.
const (
	ColEmployeeID        = "employeeId"
	ColUserPrincipalName = "userPrincipalName"
	ColDisplayName       = "displayName"
	ColGivenName         = "givenName"
	ColSurname           = "surname"
	ColMail              = "mail"
	ColJobTitle          = "jobTitle"
	ColDepartment        = "department"
	ColCompanyName       = "companyName"
	ColMobilePhone       = "mobilePhone"
	ColBusinessPhones    = "businessPhones"
	ColOfficeLocation    = "officeLocation"
	ColPreferredLanguage = "preferredLanguage"
	ColUsageLocation     = "usageLocation"
	ColAccountEnabled    = "accountEnabled"
	ColManagerEmployeeID = "managerEmployeeId"
)

// attribute is a user attribute a column sets, read and written as text.
type attribute struct {
	name string
	// keep: an empty cell keeps the current value, because a user cannot
	// be without the attribute.
	keep bool
	get  func(*directory.User) string
	set  func(*directory.User, string)
}

// attributes are the columns that map onto one user attribute each, in the
// order a diff lists them. employeeId (the key) and managerEmployeeId (a
// reference) are handled apart.
var attributes = []attribute{
	{ColUserPrincipalName, true, func(u *directory.User) string { return u.UserPrincipalName }, func(u *directory.User, v string) { u.UserPrincipalName = v }},
	{ColDisplayName, true, func(u *directory.User) string { return u.DisplayName }, func(u *directory.User, v string) { u.DisplayName = v }},
	{ColGivenName, false, func(u *directory.User) string { return u.GivenName }, func(u *directory.User, v string) { u.GivenName = v }},
	{ColSurname, false, func(u *directory.User) string { return u.Surname }, func(u *directory.User, v string) { u.Surname = v }},
	{ColMail, false, func(u *directory.User) string { return u.Mail }, func(u *directory.User, v string) { u.Mail = v }},
	{ColJobTitle, false, func(u *directory.User) string { return u.JobTitle }, func(u *directory.User, v string) { u.JobTitle = v }},
	{ColDepartment, false, func(u *directory.User) string { return u.Department }, func(u *directory.User, v string) { u.Department = v }},
	{ColCompanyName, false, func(u *directory.User) string { return u.CompanyName }, func(u *directory.User, v string) { u.CompanyName = v }},
	{ColMobilePhone, false, func(u *directory.User) string { return u.MobilePhone }, func(u *directory.User, v string) { u.MobilePhone = v }},
	{ColBusinessPhones, false, func(u *directory.User) string { return strings.Join(u.BusinessPhones, phoneSep) }, setPhones},
	{ColOfficeLocation, false, func(u *directory.User) string { return u.OfficeLocation }, func(u *directory.User, v string) { u.OfficeLocation = v }},
	{ColPreferredLanguage, false, func(u *directory.User) string { return u.PreferredLanguage }, func(u *directory.User, v string) { u.PreferredLanguage = v }},
	{ColUsageLocation, false, func(u *directory.User) string { return u.UsageLocation }, func(u *directory.User, v string) { u.UsageLocation = v }},
	{ColAccountEnabled, true, func(u *directory.User) string { return strconv.FormatBool(u.AccountEnabled) }, func(u *directory.User, v string) { u.AccountEnabled = v == "true" }},
}

// phoneSep separates numbers in a businessPhones cell. Graph holds one
// number only, so more than one is reported by directory.ValidateUser.
const phoneSep = ";"

func setPhones(u *directory.User, v string) {
	u.BusinessPhones = []string{}
	if v != "" {
		u.BusinessPhones = strings.Split(v, phoneSep)
	}
}

// canonical maps a lower-cased header name to its column.
var canonical = func() map[string]string {
	m := map[string]string{
		strings.ToLower(ColEmployeeID):        ColEmployeeID,
		strings.ToLower(ColManagerEmployeeID): ColManagerEmployeeID,
	}
	for _, a := range attributes {
		m[strings.ToLower(a.name)] = a.name
	}
	return m
}()

// Columns lists every column a feed may have.
func Columns() []string {
	out := []string{ColEmployeeID}
	for _, a := range attributes {
		out = append(out, a.name)
	}
	return append(out, ColManagerEmployeeID)
}

// LineError is a problem of one line of the file.
type LineError struct {
	Line int
	Msg  string
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Errors are the problems of a feed, by line. Any of them means nothing is
// changed. errors.Is(err, directory.ErrInvalid) holds for an Errors value.
type Errors []LineError

func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, le := range e {
		lines[i] = le.Error()
	}
	return strings.Join(lines, "\n")
}

// Is makes errors.Is(err, directory.ErrInvalid) true.
func (e Errors) Is(target error) bool { return target == directory.ErrInvalid }

// Lines counts the distinct lines with problems.
func (e Errors) Lines() int {
	seen := map[int]bool{}
	for _, le := range e {
		seen[le.Line] = true
	}
	return len(seen)
}

func (e Errors) sorted() Errors {
	slices.SortStableFunc(e, func(a, b LineError) int { return a.Line - b.Line })
	return e
}

// Row is one data row of a feed.
type Row struct {
	Line int // where the row starts in the file; the header is line 1
	// Values holds every column of the file, trimmed; booleans are "true"
	// or "false".
	Values map[string]string
}

// EmployeeID is the row's key.
func (r *Row) EmployeeID() string { return r.Values[ColEmployeeID] }

// Feed is a parsed file.
type Feed struct {
	Columns []string // the header, as column names, in file order
	Rows    []*Row   // the usable rows, in file order
	// Errors are the problems found in single rows. Rows with a duplicate
	// or missing employeeId, or the wrong number of fields, are reported
	// here and left out of Rows.
	Errors Errors
	// employeeIDs holds every employeeId in the file, usable rows or not,
	// so that a bad row's user is neither disabled nor an unknown manager.
	employeeIDs map[string]bool
}

// Has reports whether the file has the column.
func (f *Feed) Has(col string) bool { return slices.Contains(f.Columns, col) }

// Parse reads a feed. It returns an error only when the file as a whole is
// unusable: it cannot be read, or its header is wrong, or it is not valid
// CSV (an Errors value with line numbers for the last two). The problems of
// single rows are collected in Feed.Errors, so that Compute can add those
// only the store can tell and report everything at once.
func Parse(r io.Reader) (*Feed, error) {
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\ufeff" {
		br.Discard(3) // the byte order mark spreadsheet programs write
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // rows of the wrong length are reported by line, not fatal
	f := &Feed{employeeIDs: map[string]bool{}}

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, Errors{{1, "the file is empty; want a header row naming the columns, employeeId among them"}}
	}
	if err != nil {
		return nil, csvError(err, nil)
	}
	headerLine, _ := cr.FieldPos(0)
	var herrs Errors
	where := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		col, ok := canonical[strings.ToLower(h)]
		switch {
		case h == "":
			herrs = append(herrs, LineError{headerLine, fmt.Sprintf("column %d has no name", i+1)})
		case !ok:
			herrs = append(herrs, LineError{headerLine, fmt.Sprintf("unknown column %q; the columns are %s", h, strings.Join(Columns(), ", "))})
		case where[col] > 0:
			herrs = append(herrs, LineError{headerLine, fmt.Sprintf("column %q appears twice (columns %d and %d)", col, where[col], i+1)})
		}
		if ok && where[col] == 0 {
			where[col] = i + 1
		}
		f.Columns = append(f.Columns, col)
	}
	if where[ColEmployeeID] == 0 && len(herrs) == 0 {
		herrs = append(herrs, LineError{headerLine, "no employeeId column; it is the key that matches rows to users"})
	}
	if len(herrs) > 0 {
		return nil, herrs
	}

	firstID := map[string]int{}  // employeeId -> line
	firstUPN := map[string]int{} // lower-cased userPrincipalName -> line
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(err, f.Errors)
		}
		line, _ := cr.FieldPos(0)
		if blank(rec) {
			continue // a row of empty cells, as spreadsheets append
		}
		bad := func(format string, args ...any) {
			f.Errors = append(f.Errors, LineError{line, fmt.Sprintf(format, args...)})
		}
		if len(rec) != len(f.Columns) {
			if i := where[ColEmployeeID] - 1; i < len(rec) {
				f.employeeIDs[strings.TrimSpace(rec[i])] = true
			}
			bad("the row has %d fields; the header has %d", len(rec), len(f.Columns))
			continue
		}
		row := &Row{Line: line, Values: make(map[string]string, len(rec))}
		for i, v := range rec {
			row.Values[f.Columns[i]] = strings.TrimSpace(v)
		}
		usable := true
		id := row.EmployeeID()
		switch {
		case id == "":
			bad("employeeId is empty; every row needs one")
			usable = false
		case firstID[id] > 0:
			bad("employeeId %q is also on line %d", id, firstID[id])
			usable = false
		default:
			firstID[id] = line
			f.employeeIDs[id] = true
		}
		if upn := row.Values[ColUserPrincipalName]; upn != "" {
			k := strings.ToLower(upn)
			if firstUPN[k] > 0 {
				bad("userPrincipalName %q is also on line %d", upn, firstUPN[k])
			} else {
				firstUPN[k] = line
			}
		}
		if v, ok := row.Values[ColAccountEnabled]; ok && v != "" {
			b, ok := parseBool(v)
			if !ok {
				bad("accountEnabled %q is not a boolean; want true or false", v)
				delete(row.Values, ColAccountEnabled) // reported; keep it from other checks
			} else {
				row.Values[ColAccountEnabled] = strconv.FormatBool(b)
			}
		}
		if usable {
			f.Rows = append(f.Rows, row)
		}
	}
	if len(f.Rows) == 0 && len(f.Errors) == 0 {
		// A full feed without rows would disable everyone it ever created.
		return nil, Errors{{headerLine, "the file has no data rows; a full feed without rows would disable every user with an employeeId"}}
	}
	f.Errors.sorted()
	return f, nil
}

// parseBool accepts what HR systems and spreadsheets write for a boolean.
func parseBool(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "true", "yes", "1":
		return true, true
	case "false", "no", "0":
		return false, true
	}
	return false, false
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// csvError turns a CSV syntax error into a line error, added to the row
// problems found before it; the reader cannot be trusted past it (a stray
// quote swallows the lines that follow). Other errors are I/O errors.
func csvError(err error, before Errors) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("read feed: %w", err)
	}
	msg := fmt.Sprintf("not valid CSV: %v (line %d, column %d); nothing after it was read", pe.Err, pe.Line, pe.Column)
	return append(before, LineError{pe.StartLine, msg}).sorted()
}
