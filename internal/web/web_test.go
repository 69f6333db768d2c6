package web

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestFieldRendersItsMessageNextToTheInput(t *testing.T) {
	ts := Templates(map[string]string{"p": `{{define "content"}}<form>{{template "field" (field . "upn" "UPN" "text")}}</form>{{end}}`})
	p := &Page{Title: "T", Nav: []NavItem{{"Home", "/console"}}, Form: map[string]string{"upn": "a<b"}, Errors: Errors{"upn": "Bad."}}
	w := httptest.NewRecorder()
	Render(w, nil, ts["p"], 200, p)
	body := w.Body.String()
	for _, want := range []string{`id="f-upn"`, `aria-invalid="true" aria-describedby="err-upn"`, `<p class="field-error" id="err-upn">Bad.</p>`, `value="a&lt;b"`} {
		if !strings.Contains(body, want) {
			t.Fatalf("lacks %s:\n%s", want, body)
		}
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Fatalf("CSP %q", csp)
	}
}

// Pages may come from several sets (one per area); a name twice is a
// programming error caught at start.
func TestTemplatesMergesSetsAndRefusesADuplicate(t *testing.T) {
	page := `{{define "content"}}x{{end}}`
	if ts := Templates(map[string]string{"a": page}, map[string]string{"b": page}); len(ts) != 2 || ts["a"] == nil || ts["b"] == nil {
		t.Fatalf("merged %v", ts)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a page defined twice did not panic")
		}
	}()
	Templates(map[string]string{"a": page}, map[string]string{"a": page})
}
