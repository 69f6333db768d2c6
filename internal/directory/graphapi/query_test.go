package graphapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/gatehouse-id/gatehouse/internal/directory"
)

func TestParseFilter(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"displayName eq 'Alex'", `[displayName eq "Alex"]`},
		{"startswith(displayName,'Al') and accountEnabled eq true",
			`[startswith(displayName,"Al") accountEnabled eq "true"]`},
		{"startsWith(DisplayName, 'Al')", `[startswith(displayName,"Al")]`},
		{"surname eq 'O''Brien'", `[surname eq "O'Brien"]`},
		{"(jobTitle eq 'a' and (department eq 'b'))  AND  id eq 'x'", `[jobTitle eq "a" department eq "b" id eq "x"]`},
		{"accountEnabled eq FALSE", `[accountEnabled eq "false"]`},
		{"userPrincipalName eq 'a b'", `[userPrincipalName eq "a b"]`},
	} {
		conds, err := parseFilter(tc.in, userResource)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if got := fmt.Sprint(conds); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestParseFilterRefused(t *testing.T) {
	for _, tc := range []struct{ in, msg string }{
		{"", "Invalid filter clause: the filter is empty."},
		{"displayName ne 'x'", "Unsupported filter operator 'ne': this directory supports eq and startswith joined by and."},
		{"displayName eq 'a' or displayName eq 'b'", "Unsupported filter operator 'or'..."},
		{"not(displayName eq 'a')", "Unsupported filter operator 'not'..."},
		{"endswith(mail,'@contoso.com')", "Unsupported filter function 'endswith'..."},
		{"assignedLicenses/any(x:x/skuId eq 'a')", "Complex query on property 'assignedLicenses' is not supported."},
		{"shoeSize eq '42'", "Unsupported or invalid query filter clause specified for property 'shoeSize' of resource 'User'."},
		{"startswith(id,'a')", "Unsupported or invalid query filter clause specified for property 'id' of resource 'User'."},
		{"startswith(accountEnabled,'t')", "Unsupported or invalid query filter clause specified for property 'accountEnabled' of resource 'User'."},
		{"accountEnabled eq 'true'", "A binary operator with incompatible types was detected. Found operand types 'Edm.Boolean' and 'Edm.String' for property 'accountEnabled'."},
		{"displayName eq Alex", "A binary operator with incompatible types was detected..."},
		{"displayName eq null", "Filtering on null values of 'displayName' is not supported by this directory."},
		{"displayName eq", "Invalid filter clause: Syntax error at position 14 in 'displayName eq'."},
		{"displayName eq 'Alex", "Invalid filter clause: the string starting at position 15 is not closed with a quote in 'displayName eq 'Alex'."},
		{"(displayName eq 'a'", "Invalid filter clause: Syntax error at position 19..."},
		{"displayName eq 'a' and", "Invalid filter clause: Syntax error at position 22..."},
		{"displayName eq 'a' 'b'", "Invalid filter clause: Syntax error at position 19..."},
		{"displayName = 'a'", "Invalid filter clause: Syntax error at position 12..."},
		{"startswith(displayName 'a')", "Invalid filter clause: Syntax error..."},
		{strings.Repeat("(", 40) + "id eq 'a'" + strings.Repeat(")", 40), "Invalid filter clause: parentheses are nested too deeply."},
	} {
		_, err := parseFilter(tc.in, userResource)
		ge, ok := err.(*graphError)
		if !ok {
			t.Errorf("%q: got %v, want a graphError", tc.in, err)
			continue
		}
		if ge.code != "Request_UnsupportedQuery" || ge.status != 400 {
			t.Errorf("%q: %d %s", tc.in, ge.status, ge.code)
		}
		if p, ok := strings.CutSuffix(tc.msg, "..."); ok && !strings.HasPrefix(ge.msg, p) || !ok && ge.msg != tc.msg {
			t.Errorf("%q: message %q, want %q", tc.in, ge.msg, tc.msg)
		}
	}
}

// seedUsers creates users through the store, concurrently so that the
// store's group commit batches them.
func (s *testServer) seedUsers(n int, mk func(i int) *directory.User) []string {
	s.t.Helper()
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 64)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			u := mk(i)
			u.ID, u.Created, u.Modified = uuid.NewString(), t0, t0
			directory.FillUserDefaults(u)
			if err := directory.ValidateUser(u); err != nil {
				errs <- err
				return
			}
			ids[i] = u.ID
			errs <- s.Store.CreateUser(context.Background(), u)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			s.t.Fatal(err)
		}
	}
	return ids
}

func TestFilterUsers(t *testing.T) {
	s := newTestServer(t)
	for _, u := range []map[string]any{
		{"userPrincipalName": "alex.wilber@contoso.com", "displayName": "Alex Wilber", "department": "Sales", "accountEnabled": true, "city": "Seattle"},
		{"userPrincipalName": "alan.steiner@contoso.com", "displayName": "Alan Steiner", "department": "Sales", "accountEnabled": false},
		{"userPrincipalName": "allan.deyoung@contoso.com", "displayName": "Allan Deyoung", "department": "IT", "accountEnabled": true},
		{"userPrincipalName": "pat.obrien@contoso.com", "displayName": "Pat O'Brien", "surname": "O'Brien", "department": "IT"},
		{"userPrincipalName": "megan.bowen@contoso.com", "displayName": "Megan Bowen", "department": "Marketing", "employeeId": "E100"},
	} {
		s.mustCreate("/users", u)
	}
	list := func(filter string) []string {
		t.Helper()
		r := s.do("GET", "/users?$filter="+url.QueryEscape(filter), nil).want(t, 200)
		if r.JSON["@odata.context"] != s.URL+"/$metadata#users" {
			t.Fatalf("context %v", r.JSON["@odata.context"])
		}
		names := fieldOf(values(t, r), "displayName")
		slices.Sort(names)
		return names
	}
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{"userPrincipalName eq 'alex.wilber@contoso.com'", []string{"Alex Wilber"}},
		{"userPrincipalName eq 'ALEX.WILBER@CONTOSO.COM'", []string{"Alex Wilber"}},
		{"startswith(displayName,'Al')", []string{"Alan Steiner", "Alex Wilber", "Allan Deyoung"}},
		{"startswith(displayName,'al')", []string{"Alan Steiner", "Alex Wilber", "Allan Deyoung"}},
		{"startswith(displayName,'Al') and accountEnabled eq true", []string{"Alex Wilber", "Allan Deyoung"}},
		{"accountEnabled eq false", []string{"Alan Steiner"}},
		{"department eq 'Sales' and startswith(displayName,'Ala')", []string{"Alan Steiner"}},
		{"surname eq 'O''Brien'", []string{"Pat O'Brien"}},
		{"startswith(displayName,'Pat O''')", []string{"Pat O'Brien"}},
		{"employeeId eq 'E100'", []string{"Megan Bowen"}},
		{"city eq 'Seattle'", []string{"Alex Wilber"}},
		{"(department eq 'IT') and (startswith(userPrincipalName,'allan'))", []string{"Allan Deyoung"}},
		{"department eq 'IT' and department eq 'Sales'", []string{}},
		{"startswith(displayName,'A') and startswith(displayName,'Alle')", []string{}},
		{"startswith(displayName,'Al') and startswith(displayName,'Alle')", []string{}},
		{"startswith(displayName,'A') and startswith(displayName,'All')", []string{"Allan Deyoung"}},
		{"startswith(displayName,'%')", []string{}},
		{"startswith(displayName,'_')", []string{}},
	} {
		if got := list(tc.filter); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.filter, got, tc.want)
		}
	}
	// Without the $, as Graph allows; '+' decodes to a space.
	r := s.do("GET", "/users?filter=displayName+eq+'Megan+Bowen'", nil).want(t, 200)
	if got := fieldOf(values(t, r), "displayName"); !slices.Equal(got, []string{"Megan Bowen"}) {
		t.Fatalf("%v", got)
	}
	// Bad filters are 400 Request_UnsupportedQuery.
	for _, f := range []string{
		"displayName ne 'x'", "displayName eq 'a' or id eq 'b'", "shoeSize eq '1'", "displayName eq", "endswith(mail,'x')",
		"accountEnabled eq 'yes'", "startswith(id,'a')",
	} {
		r := s.do("GET", "/users?$filter="+url.QueryEscape(f), nil)
		if r.Status != 400 || r.JSON["error"].(map[string]any)["code"] != "Request_UnsupportedQuery" {
			t.Errorf("%s: %d %s", f, r.Status, r.Body)
		}
	}
}

func TestFilterGroups(t *testing.T) {
	s := newTestServer(t)
	s.group("Sales Team")
	s.group("Sales Leads")
	eng := s.group("Engineering")
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{"startswith(displayName,'sales')", []string{"Sales Leads", "Sales Team"}},
		{"displayName eq 'Engineering'", []string{"Engineering"}},
		{"securityEnabled eq true and startswith(displayName,'Eng')", []string{"Engineering"}},
		{"securityEnabled eq false", []string{}},
		{"mailEnabled eq false and id eq '" + eng + "'", []string{"Engineering"}},
		{"mailEnabled eq true", []string{}},
		{"mailNickname eq 'SalesTeam'", []string{"Sales Team"}},
	} {
		r := s.do("GET", "/groups?$filter="+url.QueryEscape(tc.filter), nil).want(t, 200)
		got := fieldOf(values(t, r), "displayName")
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.filter, got, tc.want)
		}
	}
	s.do("GET", "/groups?$filter="+url.QueryEscape("startswith(userPrincipalName,'a')"), nil).wantError(t, 400,
		"Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property 'userPrincipalName' of resource 'Group'.")
}

// TestPaging walks 250 users 100 at a time and sees each exactly once.
func TestPaging(t *testing.T) {
	s := newTestServer(t)
	s.seedUsers(250, func(i int) *directory.User {
		return &directory.User{UserPrincipalName: fmt.Sprintf("user%03d@contoso.com", i), DisplayName: fmt.Sprintf("User %03d", i),
			AccountEnabled: i%2 == 0}
	})
	seen := map[string]bool{}
	link := s.URL + "/users?$top=100&$select=displayName"
	var sizes []int
	for link != "" {
		r := s.do("GET", link, nil).want(t, 200)
		v := values(t, r)
		sizes = append(sizes, len(v))
		for _, o := range v {
			id := o["id"].(string)
			if seen[id] {
				t.Fatalf("user %s seen twice", id)
			}
			seen[id] = true
			if len(o) != 2 || !strings.HasPrefix(o["displayName"].(string), "User ") {
				t.Fatalf("$select not kept on page %d: %v", len(sizes), o)
			}
		}
		link, _ = r.JSON["@odata.nextLink"].(string)
		if link != "" {
			if !strings.HasPrefix(link, s.URL+"/users?$select=displayName&$top=100&$skiptoken=") {
				t.Fatalf("nextLink %s", link)
			}
		}
	}
	if !slices.Equal(sizes, []int{100, 100, 50}) || len(seen) != 250 {
		t.Fatalf("pages %v, %d users", sizes, len(seen))
	}

	// The default page is 100; a filter is repeated in the nextLink.
	r := s.do("GET", "/users", nil).want(t, 200)
	if len(values(t, r)) != 100 || r.JSON["@odata.nextLink"] == nil {
		t.Fatalf("default page: %d, next %v", len(values(t, r)), r.JSON["@odata.nextLink"])
	}
	count := 0
	link = s.URL + "/users?$filter=" + url.QueryEscape("accountEnabled eq true and startswith(displayName,'User')") + "&$top=30"
	for pages := 0; link != ""; pages++ {
		r := s.do("GET", link, nil).want(t, 200)
		for _, o := range values(t, r) {
			if o["accountEnabled"] != true {
				t.Fatalf("filter lost on page %d: %v", pages, o)
			}
			count++
		}
		link, _ = r.JSON["@odata.nextLink"].(string)
		if link != "" && !strings.Contains(link, "$filter=accountEnabled%20eq%20true%20and%20startswith%28displayName%2C%27User%27%29&$top=30&$skiptoken=") {
			t.Fatalf("nextLink %s", link)
		}
	}
	if count != 125 {
		t.Fatalf("%d enabled users, want 125", count)
	}

	for _, top := range []string{"0", "1000", "-1", "x"} {
		s.do("GET", "/users?$top="+top, nil).wantError(t, 400, "Request_BadRequest",
			"Invalid page size specified: '"+top+"'. Must be between 1 and 999 inclusive.")
	}
	s.do("GET", "/users?$skiptoken=garbage!", nil).wantError(t, 400, "Request_BadRequest", "The $skiptoken 'garbage!' is not valid...")
	if v := values(t, s.do("GET", "/users?$top=999", nil).want(t, 200)); len(v) != 250 {
		t.Fatalf("$top=999 gave %d", len(v))
	}
}

func TestUnsupportedOptions(t *testing.T) {
	s := newTestServer(t)
	s.do("GET", "/users?$count=true", nil).wantError(t, 400, "Request_UnsupportedQuery",
		"$count is not supported by this directory; page through the collection with $top and @odata.nextLink instead.")
	s.do("GET", "/users/$count", nil).wantError(t, 400, "Request_UnsupportedQuery", "$count is not supported...")
	s.do("GET", "/users?$count=false", nil).want(t, 200)
	s.do("GET", "/users?$orderby=displayName", nil).wantError(t, 400, "Request_UnsupportedQuery", "$orderby is not supported by this directory.")
	s.do("GET", "/users?$search=%22displayName:al%22", nil).wantError(t, 400, "Request_UnsupportedQuery", "$search is not supported by this directory.")
	s.do("GET", "/groups?$expand=members", nil).wantError(t, 400, "Request_UnsupportedQuery", "$expand is not supported by this directory.")
	s.do("GET", "/users?$skip=10", nil).wantError(t, 400, "Request_UnsupportedQuery", "$skip is not supported...")
	s.do("GET", "/users?$bogus=1", nil).wantError(t, 400, "Request_BadRequest", "Query option '$bogus' is not supported.")
	s.do("GET", "/users?$top=1&$top=2", nil).wantError(t, 400, "Request_BadRequest", "Query option '$top' was specified more than once...")
	s.do("GET", "/users?unrelated=1", nil).want(t, 200)

	// Unknown segments and wrong methods.
	s.do("GET", "/applications", nil).wantError(t, 400, "BadRequest", "Resource not found for the segment 'applications'.")
	s.do("PUT", "/users/x", map[string]any{}).wantError(t, http.StatusMethodNotAllowed, "Request_BadRequest",
		"Specified HTTP method is not allowed for the request target.")
	s.do("DELETE", "/users", nil).want(t, http.StatusMethodNotAllowed)
	s.do("GET", "/me", nil).wantError(t, 400, "Request_BadRequest", "/me request is only valid with delegated authentication flow.")
	s.do("GET", "/groups/x/members/microsoft.graph.device", nil).wantError(t, 400, "BadRequest",
		"Resource not found for the segment 'microsoft.graph.device'.")
}

func TestAPIBase(t *testing.T) {
	r, _ := http.NewRequest("GET", "http://10.0.0.1:8080/v1.0/users", nil)
	for base, want := range map[string]string{
		"":                               "http://10.0.0.1:8080/v1.0",
		"https://login.example.com":      "https://login.example.com/v1.0",
		"https://login.example.com/":     "https://login.example.com/v1.0",
		"https://login.example.com/v1.0": "https://login.example.com/v1.0",
		"https://example.com/dir/v1.0/":  "https://example.com/dir/v1.0",
	} {
		if got := (&Handler{BaseURL: base}).apiBase(r); got != want {
			t.Errorf("BaseURL %q: %s, want %s", base, got, want)
		}
	}
}
