package samlidp_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-id/gatehouse/internal/audit"
	"github.com/gatehouse-id/gatehouse/internal/directory/samlidp"
)

// recorder is an audit.Appender that keeps the records, or fails.
type recorder struct {
	mu   sync.Mutex
	recs []audit.Record
	err  error
}

func (r *recorder) Append(_ context.Context, rec audit.Record) (audit.Record, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return audit.Record{}, r.err
	}
	r.recs = append(r.recs, rec)
	return rec, nil
}

func (r *recorder) records() []audit.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]audit.Record(nil), r.recs...)
}

// Every response sent is in the audit log (the append runs while the
// response is signed, and is awaited before it is sent); a sign-in refused
// while the response is prepared leaves no record; a response whose record
// could not be written is not sent.
func TestResponsesAudited(t *testing.T) {
	e := newEnv(t)
	rec := &recorder{}
	e.idp.Audit = rec

	resp, body := e.get("/saml/app-aws/start", e.alice.ID)
	checkResponse(t, e, parsePost(t, resp, body), spACS, "")
	got := rec.records()
	if len(got) != 1 || got[0].Kind != audit.KindSAMLResponse || got[0].Actor != e.alice.UserPrincipalName ||
		got[0].Subject != e.app.ID || got[0].Details["acs"] != spACS {
		t.Fatalf("records after one response: %+v", got)
	}

	// The app wants a NameID from an attribute alice does not have.
	e.configure(&samlidp.Config{AppID: e.app.ID, EntityID: spEntity, ACSURLs: []string{spACS}, NameIDSource: "mobilePhone"})
	resp, body = e.get("/saml/app-aws/start", e.alice.ID)
	if resp.StatusCode != 403 || strings.Contains(body, "SAMLResponse") {
		t.Fatalf("refused sign-in: %d %.200s", resp.StatusCode, body)
	}
	if n := len(rec.records()); n != 1 {
		t.Fatalf("a refused sign-in was recorded: %d records", n)
	}

	e.configure(&samlidp.Config{AppID: e.app.ID, EntityID: spEntity, ACSURLs: []string{spACS}})
	rec.err = errors.New("disk full")
	resp, body = e.get("/saml/app-aws/start", e.alice.ID)
	if resp.StatusCode != 500 || strings.Contains(body, "SAMLResponse") {
		t.Fatalf("unrecorded response: %d %.200s", resp.StatusCode, body)
	}
}
