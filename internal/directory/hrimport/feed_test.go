package hrimport_test

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/hrimport"
)

// lines renders an Errors value one problem a line, for comparisons.
func lines(t *testing.T, err error) []string {
	t.Helper()
	var errs hrimport.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want hrimport.Errors, got %T %v", err, err)
	}
	if !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("errors.Is(err, directory.ErrInvalid) = false")
	}
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Error()
	}
	return out
}

// wantLines checks got against want one by one: each want is a prefix
// "line N: " plus a substring of the message.
func wantLines(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		prefix, rest, _ := strings.Cut(want[i], ": ")
		if !strings.HasPrefix(got[i], prefix+": ") || !strings.Contains(got[i], rest) {
			t.Errorf("problem %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestParseHeader(t *testing.T) {
	for _, tc := range []struct {
		name, csv string
		want      []string // problems, or nil for a good header
		columns   string   // the columns of a good header
	}{
		{name: "case-insensitive names and a byte order mark",
			csv:     "\ufeffEMPLOYEEID, UserPrincipalName ,jobtitle,ManagerEmployeeID\n1,a@contoso.com,x,\n",
			columns: "employeeId,userPrincipalName,jobTitle,managerEmployeeId"},
		{name: "a byte order mark before a quoted header",
			csv:     "\ufeff\"employeeId\",\"mail\"\n1,a@contoso.com\n",
			columns: "employeeId,mail"},
		{name: "every column",
			csv:     strings.Join(hrimport.Columns(), ",") + "\n" + strings.Repeat(",", len(hrimport.Columns())-1) + "\n1" + strings.Repeat(",", len(hrimport.Columns())-1) + "\n",
			columns: strings.Join(hrimport.Columns(), ",")},
		{name: "unknown column", csv: "employeeId,userPrincipalName,favouriteColour\n1,a@contoso.com,blue\n",
			want: []string{`line 1: unknown column "favouriteColour"; the columns are employeeId, userPrincipalName`}},
		{name: "two unknown columns are both named", csv: "employeeId,city,id\n1,Oslo,x\n",
			want: []string{`line 1: unknown column "city"`, `line 1: unknown column "id"`}},
		{name: "duplicate column", csv: "employeeId,mail,Mail\n1,a@contoso.com,a@contoso.com\n",
			want: []string{`line 1: column "mail" appears twice (columns 2 and 3)`}},
		{name: "nameless column", csv: "employeeId,,mail\n1,,a@contoso.com\n",
			want: []string{"line 1: column 2 has no name"}},
		{name: "no employeeId", csv: "userPrincipalName,displayName\na@contoso.com,A\n",
			want: []string{"line 1: no employeeId column"}},
		{name: "empty file", csv: "",
			want: []string{"line 1: the file is empty"}},
		{name: "header only", csv: "employeeId,userPrincipalName\n",
			want: []string{"line 1: the file has no data rows; a full feed without rows would disable every user"}},
		{name: "header after blank lines", csv: "\n\nemployeeId,colour\n1,red\n",
			want: []string{`line 3: unknown column "colour"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := hrimport.Parse(strings.NewReader(tc.csv))
			if tc.want != nil {
				if f != nil {
					t.Errorf("got a feed with a bad header")
				}
				wantLines(t, lines(t, err), tc.want)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(f.Columns, ","); got != tc.columns {
				t.Fatalf("columns %s, want %s", got, tc.columns)
			}
			if len(f.Errors) != 0 {
				t.Fatalf("row problems: %v", f.Errors)
			}
		})
	}
}

func TestParseRows(t *testing.T) {
	const header = "employeeId,userPrincipalName,accountEnabled,jobTitle\n"
	for _, tc := range []struct {
		name, csv string
		rows      string   // employeeId@line of the usable rows
		want      []string // row problems
	}{
		{name: "good rows, blank lines and empty rows skipped",
			csv:  header + "1001,a@contoso.com,true,Engineer\n\n , , ,\n1002,b@contoso.com,,\n",
			rows: "1001@2,1002@5"},
		{name: "quoted field spanning lines keeps later line numbers right",
			csv:  header + "1001,a@contoso.com,true,\"Senior\nEngineer\"\n1002,b@contoso.com,yes,x\n1003,,maybe,x\n",
			rows: "1001@2,1002@4,1003@5",
			want: []string{`line 5: accountEnabled "maybe" is not a boolean; want true or false`}},
		{name: "missing employeeId",
			csv:  header + "1001,a@contoso.com,true,x\n  ,b@contoso.com,true,x\n",
			rows: "1001@2",
			want: []string{"line 3: employeeId is empty; every row needs one"}},
		{name: "duplicate employeeId names the first line",
			csv:  header + "1001,a@contoso.com,,\n1002,b@contoso.com,,\n1001,c@contoso.com,,\n",
			rows: "1001@2,1002@3",
			want: []string{`line 4: employeeId "1001" is also on line 2`}},
		{name: "duplicate userPrincipalName, case-insensitively",
			csv:  header + "1001,a@contoso.com,,\n1002,A@Contoso.com,,\n",
			rows: "1001@2,1002@3",
			want: []string{`line 3: userPrincipalName "A@Contoso.com" is also on line 2`}},
		{name: "wrong number of fields",
			csv:  header + "1001,a@contoso.com\n1002,b@contoso.com,true,x,extra\n1003,c@contoso.com,false,x\n",
			rows: "1003@4",
			want: []string{"line 2: the row has 2 fields; the header has 4", "line 3: the row has 5 fields; the header has 4"}},
		{name: "every bad row is reported, in line order",
			csv:  header + ",a@contoso.com,,\n1002,b@contoso.com,sometimes,\n1002,c@contoso.com,,\n",
			rows: "1002@3",
			want: []string{"line 2: employeeId is empty", `line 3: accountEnabled "sometimes" is not a boolean`, `line 4: employeeId "1002" is also on line 3`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := hrimport.Parse(strings.NewReader(tc.csv))
			if err != nil {
				t.Fatal(err)
			}
			var rows []string
			for _, r := range f.Rows {
				rows = append(rows, r.EmployeeID()+"@"+strconv.Itoa(r.Line))
			}
			if got := strings.Join(rows, ","); got != tc.rows {
				t.Errorf("rows %s, want %s", got, tc.rows)
			}
			var got []string
			for _, e := range f.Errors {
				got = append(got, e.Error())
			}
			wantLines(t, got, tc.want)
		})
	}
}

func TestParseValues(t *testing.T) {
	f, err := hrimport.Parse(strings.NewReader("employeeId,accountEnabled,jobTitle\n 7 ,YES,\"  Lead, Platform \"\n8,0,\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Rows) != 2 || len(f.Errors) != 0 {
		t.Fatalf("rows %d, problems %v", len(f.Rows), f.Errors)
	}
	r := f.Rows[0].Values
	if r["employeeId"] != "7" || r["accountEnabled"] != "true" || r["jobTitle"] != "Lead, Platform" {
		t.Fatalf("values %q", r)
	}
	if v := f.Rows[1].Values["accountEnabled"]; v != "false" {
		t.Fatalf("accountEnabled 0 -> %q", v)
	}
	if !f.Has("jobTitle") || f.Has("mail") {
		t.Fatal("Has")
	}
}

func TestParseBadCSV(t *testing.T) {
	// A bare quote stops the reader; problems before it are kept.
	_, err := hrimport.Parse(strings.NewReader("employeeId,jobTitle\n,x\n1002,a \"b\" c\n1003,y\n"))
	wantLines(t, lines(t, err), []string{"line 2: employeeId is empty", `line 3: not valid CSV: bare " in non-quoted-field`})
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestParseReadError(t *testing.T) {
	_, err := hrimport.Parse(failingReader{})
	var errs hrimport.Errors
	if !errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &errs) {
		t.Fatalf("got %v; want the I/O error, not line problems", err)
	}
}
