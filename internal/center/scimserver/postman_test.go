package scimserver

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
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
	postmanCollection       = "testdata/ms-scim-reference-postman-collection.json"
	postmanExpectedFailures = "testdata/postman-expected-failures.txt"
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
	newman := testenv.NodeBin(t, "newman")
	srv := newTestServer(t)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	collection, err := filepath.Abs(postmanCollection)
	if err != nil {
		t.Fatal(err)
	}
	wantRequests, wantAssertions := countPostmanItems(t, collection, postmanFolders)
	expected := readExpectedFailures(t, postmanExpectedFailures)

	artifacts := testenv.Artifacts(t)
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
	t.Logf("newman ran in %s; report %s, log %s", time.Since(start).Round(time.Millisecond), reportPath, logPath)

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
		t.Logf("all %d failures are the expected ones (%s)", len(got), postmanExpectedFailures)
		return
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "newman failures differ from %s (%d failed, %d expected):\n", postmanExpectedFailures, len(got), len(expected))
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
func countPostmanItems(t *testing.T, path string, folders []string) (requests, assertions int) {
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
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var root item
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var walk func(raw []json.RawMessage, in bool)
	walk = func(raw []json.RawMessage, in bool) {
		for _, r := range raw {
			var it item
			if err := json.Unmarshal(r, &it); err != nil {
				t.Fatalf("%s: %v", path, err)
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
