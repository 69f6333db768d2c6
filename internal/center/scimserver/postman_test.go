package scimserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/testenv"
)

// Microsoft's SCIM reference Postman collection (AzureAD/SCIMReferenceCode,
// MIT, licence beside it), run with the real newman against our server:
// shared/reference/real-clients.md §1.1.
const (
	postmanCollection                = "testdata/ms-scim-reference-postman-collection.json"
	postmanExpectedFailures          = "testdata/postman-expected-failures.txt"
	postmanAWSShapedExpectedFailures = "testdata/postman-aws-shaped-expected-failures.txt"
)

// postmanFolders are the collection's folders, in the order they must run
// (they hand ids to each other through environment variables). "Get Token"
// is the MS reference server's own dev token endpoint: we pass the token.
var postmanFolders = []string{
	"Endpoint tests", "User tests", "Group tests", "ComplexAttribute tests",
	"User tests with garbage", "Group tests with garbage", "Teardown garbage",
}

// newmanReport is the part of newman's JSON reporter output the test reads.
type newmanReport struct {
	Run struct {
		Stats map[string]struct {
			Total   int `json:"total"`
			Failed  int `json:"failed"`
			Pending int `json:"pending"`
		} `json:"stats"`
		Executions []struct {
			Cursor struct {
				Ref string `json:"ref"`
			} `json:"cursor"`
			Item struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"item"`
			Request struct {
				Method string `json:"method"`
			} `json:"request"`
			Response *struct {
				Code   int `json:"code"`
				Stream struct {
					Data []byte `json:"data"`
				} `json:"stream"`
			} `json:"response"`
			RequestError *struct {
				Message string `json:"message"`
			} `json:"requestError"`
		} `json:"executions"`
		Failures []struct {
			Error struct {
				Name    string `json:"name"`
				Message string `json:"message"`
				Test    string `json:"test"`
			} `json:"error"`
			Source struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"source"`
			Cursor struct {
				Ref string `json:"ref"`
			} `json:"cursor"`
			At string `json:"at"`
		} `json:"failures"`
	} `json:"run"`
}

// postmanFailure is one failed assertion (or script error), keyed as in the
// expected-failures file: "<request name> :: <assertion name>". A request
// name the collection uses more than once gets " #2", " #3"... from its
// second execution on.
type postmanFailure struct {
	key     string
	message string // newman's, e.g. "expected response to have status code 201 but got 400"
	detail  string // the response that failed it
}

func TestPostmanSuite(t *testing.T) {
	collection, err := os.ReadFile(postmanCollection)
	if err != nil {
		t.Fatal(err)
	}
	runPostmanSuite(t, collection, postmanExpectedFailures)
}

// TestPostmanSuiteAWSShaped runs the same collection with its user bodies
// reshaped as an IdP configured for AWS would send them (see
// awsShapedCollection), so that user create/PUT/PATCH/filter/paging get
// exercised instead of being refused for carrying two emails (§1.5).
func TestPostmanSuiteAWSShaped(t *testing.T) {
	collection, err := os.ReadFile(postmanCollection)
	if err != nil {
		t.Fatal(err)
	}
	runPostmanSuite(t, awsShapedCollection(t, collection), postmanAWSShapedExpectedFailures)
}

// runPostmanSuite runs the given Postman collection with newman against a
// fresh server and compares the failed assertions with those listed in
// expectedFile.
func runPostmanSuite(t *testing.T, collectionJSON []byte, expectedFile string) {
	t.Helper()
	newman := testenv.NodeBin(t, "newman")
	srv := newTestServer(t)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	wantRequests, wantAssertions := countPostmanItems(t, collectionJSON, postmanFolders)
	expected := readExpectedFailures(t, expectedFile)

	artifacts := testenv.Artifacts(t)
	collection := filepath.Join(artifacts, "collection.json")
	if err := os.WriteFile(collection, collectionJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	reportPath := filepath.Join(artifacts, "newman.json")
	logPath := filepath.Join(artifacts, "newman.log")
	args := []string{"run", collection}
	for _, f := range postmanFolders {
		args = append(args, "--folder", f)
	}
	args = append(args,
		"--env-var", "Protocol="+u.Scheme,
		"--env-var", "Server="+u.Hostname(),
		"--env-var", "Port=:"+u.Port(), // the collection writes {{Server}}{{Port}}
		"--env-var", "Api="+strings.TrimPrefix(u.Path, "/"),
		"--env-var", "token="+srv.Token,
		"--timeout-request", "10000",
		"--color", "off", "--disable-unicode",
		"--reporters", "cli,json", "--reporter-json-export", reportPath,
		"--suppress-exit-code", // assertion failures are judged below
	)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, newman, args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	os.WriteFile(logPath, out, 0o644)
	if err != nil {
		t.Fatalf("newman: %v (after %s)\n%s", err, time.Since(start).Round(time.Millisecond), tail(string(out), 4000))
	}
	t.Logf("newman ran in %s; collection %s, report %s, log %s", time.Since(start).Round(time.Millisecond), collection, reportPath, logPath)

	b, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatalf("newman wrote no report: %v\n%s", err, tail(string(out), 4000))
	}
	var rep newmanReport
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("newman report: %v", err)
	}

	// A run that broke early (bad URL, token, folder name) must not pass.
	stats := rep.Run.Stats
	t.Logf("requests %d (failed %d), assertions %d (failed %d), test scripts %d (failed %d)",
		stats["requests"].Total, stats["requests"].Failed, stats["assertions"].Total, stats["assertions"].Failed,
		stats["testScripts"].Total, stats["testScripts"].Failed)
	if got := stats["requests"].Total; got != wantRequests || got < 60 {
		t.Errorf("newman sent %d requests; the folders hold %d", got, wantRequests)
	}
	if got := stats["assertions"].Total; got != wantAssertions || got < 90 {
		t.Errorf("newman ran %d assertions; the folders' test scripts hold %d", got, wantAssertions)
	}
	if n := stats["requests"].Failed; n > 0 {
		t.Errorf("%d requests got no response (see %s)", n, logPath)
	}

	// Name each execution as the expected-failures file does.
	names := map[string]string{} // cursor ref -> "<name>[ #n]"
	seen := map[string]int{}
	detail := map[string]string{} // cursor ref -> the response
	for _, e := range rep.Run.Executions {
		seen[e.Item.Name]++
		name := e.Item.Name
		if n := seen[e.Item.Name]; n > 1 {
			name = fmt.Sprintf("%s #%d", name, n)
		}
		names[e.Cursor.Ref] = name
		switch {
		case e.RequestError != nil:
			detail[e.Cursor.Ref] = "request error: " + e.RequestError.Message
		case e.Response != nil:
			detail[e.Cursor.Ref] = fmt.Sprintf("%s answered %d %s", e.Request.Method, e.Response.Code, clip(string(e.Response.Stream.Data), 300))
		}
	}
	var got []postmanFailure
	for _, f := range rep.Run.Failures {
		name, ok := names[f.Cursor.Ref]
		if !ok {
			name = f.Source.Name
		}
		assertion := f.Error.Test
		if assertion == "" { // a script error rather than a failed pm.test
			assertion = f.Error.Name
		}
		got = append(got, postmanFailure{key: name + " :: " + assertion, message: f.Error.Message, detail: detail[f.Cursor.Ref]})
	}

	// Compare as multisets: every failure must be expected, and every
	// expected failure must still happen.
	remaining := map[string]int{}
	for _, e := range expected {
		remaining[e.key]++
	}
	var unexpected []postmanFailure
	for _, f := range got {
		if remaining[f.key] > 0 {
			remaining[f.key]--
			continue
		}
		unexpected = append(unexpected, f)
	}
	var stale []string
	for _, e := range expected {
		if remaining[e.key] > 0 {
			remaining[e.key]--
			stale = append(stale, e.key)
		}
	}
	if len(unexpected) == 0 && len(stale) == 0 {
		t.Logf("all %d failures are the expected ones (%s)", len(got), expectedFile)
		return
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "newman failures differ from %s (%d failed, %d expected):\n", expectedFile, len(got), len(expected))
	for _, f := range unexpected {
		fmt.Fprintf(&sb, "+ %s\n      %s\n      %s\n", f.key, f.message, f.detail)
	}
	for _, k := range stale {
		fmt.Fprintf(&sb, "- %s\n      expected to fail but passed: remove it from the file\n", k)
	}
	fmt.Fprintf(&sb, "(+ unexpected failure, - expected failure that no longer happens; newman output in %s", logPath)
	if os.Getenv("GATEHOUSE_ARTIFACTS") == "" {
		sb.WriteString(", kept when GATEHOUSE_ARTIFACTS is set")
	}
	sb.WriteString(")")
	t.Error(sb.String())
}

type expectedFailure struct{ key, why string }

// readExpectedFailures reads "<request> :: <assertion> :: <justification>"
// lines; blank lines and lines starting with # are comments.
func readExpectedFailures(t *testing.T, path string) []expectedFailure {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []expectedFailure
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, " :: ", 3)
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || strings.TrimSpace(parts[2]) == "" {
			t.Fatalf("%s:%d: want <request> :: <assertion> :: <justification>, got %q", path, n, line)
		}
		out = append(out, expectedFailure{key: parts[0] + " :: " + parts[1], why: parts[2]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// countPostmanItems counts the requests and the pm.test calls in the given
// folders of the collection: what a complete run must have executed.
func countPostmanItems(t *testing.T, collection []byte, folders []string) (requests, assertions int) {
	t.Helper()
	type item struct {
		Name  string            `json:"name"`
		Item  []json.RawMessage `json:"item"`
		Event []struct {
			Listen string `json:"listen"`
			Script struct {
				Exec []string `json:"exec"`
			} `json:"script"`
		} `json:"event"`
	}
	var root item
	if err := json.Unmarshal(collection, &root); err != nil {
		t.Fatalf("collection: %v", err)
	}
	var walk func(raw []json.RawMessage, in bool)
	walk = func(raw []json.RawMessage, in bool) {
		for _, r := range raw {
			var it item
			if err := json.Unmarshal(r, &it); err != nil {
				t.Fatalf("collection: %v", err)
			}
			if it.Item != nil {
				walk(it.Item, in || slices.Contains(folders, it.Name))
				continue
			}
			if !in {
				continue
			}
			requests++
			for _, e := range it.Event {
				if e.Listen == "test" {
					assertions += strings.Count(strings.Join(e.Script.Exec, "\n"), "pm.test(")
				}
			}
		}
	}
	walk(root.Item, false)
	return requests, assertions
}

// awsShapedCollection returns the collection with every SCIM User request
// body (one with a userName, or whose schemas list the core User URN) turned
// into the request an IdP configured for AWS would send: AWS accepts a single
// value in each of emails, addresses, phoneNumbers and roles, and wants it
// marked primary (§1.5), so each of these lists keeps only its first value,
// with primary set to true (an existing "Primary" keeps its spelling: SCIM
// names are case-insensitive). Nothing else changes: other bodies, the other
// attributes (in their order) and values, URLs, headers and test scripts are
// kept; only the JSON whitespace of a reshaped body is re-indented.
func awsShapedCollection(t *testing.T, collection []byte) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(collection))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		t.Fatalf("collection: %v", err)
	}
	reshaped := 0
	var walk func(items []any)
	walk = func(items []any) {
		for _, it := range items {
			item, _ := it.(map[string]any)
			if sub, ok := item["item"].([]any); ok {
				walk(sub)
				continue
			}
			req, _ := item["request"].(map[string]any)
			body, _ := req["body"].(map[string]any)
			raw, ok := body["raw"].(string)
			if !ok || body["mode"] != "raw" {
				continue
			}
			if shaped, ok := awsShapedUser(raw); ok {
				body["raw"] = shaped
				reshaped++
			}
		}
	}
	rootItems, _ := root.(map[string]any)["item"].([]any)
	walk(rootItems)
	if reshaped == 0 {
		t.Fatal("awsShapedCollection: the collection has no SCIM User body to reshape")
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "\t")
	if err := enc.Encode(root); err != nil {
		t.Fatal(err)
	}
	t.Logf("reshaped %d SCIM User bodies to one value per multi-valued attribute", reshaped)
	return out.Bytes()
}

// awsShapedUser reshapes one request body as awsShapedCollection describes;
// ok is false when the body is not a SCIM User (or not JSON) and is left alone.
func awsShapedUser(raw string) (shaped string, ok bool) {
	members, err := jsonObjectMembers([]byte(raw))
	if err != nil {
		return "", false
	}
	isUser := false
	for _, m := range members {
		switch {
		case strings.EqualFold(m.key, "userName"):
			isUser = true
		case strings.EqualFold(m.key, "schemas"):
			var schemas []string
			if json.Unmarshal(m.value, &schemas) == nil && slices.Contains(schemas, "urn:ietf:params:scim:schemas:core:2.0:User") {
				isUser = true
			}
		}
	}
	if !isUser {
		return "", false
	}
	for i, m := range members {
		if !slices.ContainsFunc([]string{"emails", "addresses", "phoneNumbers", "roles"}, func(a string) bool { return strings.EqualFold(a, m.key) }) {
			continue
		}
		var values []json.RawMessage
		if json.Unmarshal(m.value, &values) != nil || len(values) == 0 {
			continue // not a list, or no value to keep
		}
		first, err := jsonObjectMembers(values[0])
		if err != nil {
			continue // not a complex value: nothing to mark primary
		}
		// Set primary (names are case-insensitive, RFC 7643 §2.1, and the
		// collection spells it "Primary" in places), or add it.
		p := slices.IndexFunc(first, func(f jsonMember) bool { return strings.EqualFold(f.key, "primary") })
		if p < 0 {
			first = append(first, jsonMember{key: "primary"})
			p = len(first) - 1
		}
		first[p].value = json.RawMessage("true")
		members[i].value = append(append(json.RawMessage("["), encodeJSONObject(first)...), ']')
	}
	var out bytes.Buffer
	if err := json.Indent(&out, encodeJSONObject(members), "", "    "); err != nil {
		return "", false
	}
	return out.String(), true
}

// jsonMember is one member of a JSON object, its value left encoded.
type jsonMember struct {
	key   string
	value json.RawMessage
}

// jsonObjectMembers splits a JSON object into its members, in order.
func jsonObjectMembers(b []byte) ([]jsonMember, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	var members []jsonMember
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		members = append(members, jsonMember{key: tok.(string), value: v})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the JSON object")
	}
	return members, nil
}

// encodeJSONObject is the inverse of jsonObjectMembers.
func encodeJSONObject(members []jsonMember) []byte {
	b := []byte{'{'}
	for i, m := range members {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(m.key)
		b = append(append(append(b, k...), ':'), m.value...)
	}
	return append(b, '}')
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
