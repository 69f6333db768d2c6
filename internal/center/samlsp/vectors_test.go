package samlsp_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center/samlsp"
)

type crewjamCase struct {
	File          string   `json:"file"`
	Encoding      string   `json:"encoding"`
	Expect        string   `json:"expect"`
	ExpectNameID  string   `json:"expect_nameid"`
	XSW           string   `json:"xsw"`
	IdPMetadata   string   `json:"idp_metadata"`
	Now           string   `json:"now"`
	CertCheckTime string   `json:"cert_check_time"`
	SPEntityID    string   `json:"sp_entity_id"`
	ACSURL        string   `json:"acs_url"`
	RequestIDs    []string `json:"possible_request_ids"`
	Mutations     []struct {
		Replace []string `json:"replace"`
		Expect  string   `json:"expect"`
	} `json:"mutations"`
}

// runCrewjam verifies xml under the case's settings and, like an SP, checks
// InResponseTo against the case's outstanding request IDs.
func runCrewjam(t *testing.T, c *crewjamCase, xml []byte) (*samlsp.Assertion, error) {
	t.Helper()
	dir := filepath.Join("testdata", "crewjam-saml")
	md, err := os.ReadFile(filepath.Join(dir, c.IdPMetadata))
	if err != nil {
		t.Fatal(err)
	}
	idp, err := samlsp.ParseIdPMetadata(md)
	if err != nil {
		t.Fatalf("metadata %s: %v", c.IdPMetadata, err)
	}
	now, _ := time.Parse(time.RFC3339, c.Now)
	certTime, _ := time.Parse(time.RFC3339, c.CertCheckTime)
	a, err := samlsp.Verify(xml, &samlsp.Checks{IdP: idp, EntityID: c.SPEntityID, ACSURL: c.ACSURL,
		Now: now, CertTime: certTime, Skew: samlsp.DefaultSkew})
	if err != nil {
		return nil, err
	}
	if !slices.Contains(c.RequestIDs, a.InResponseTo) {
		return nil, &samlsp.Refusal{Reason: "InResponseTo " + a.InResponseTo + " unknown"}
	}
	return a, nil
}

// TestCrewjamVectors runs every case of testdata/crewjam-saml/manifest.json
// under its settings.
func TestCrewjamVectors(t *testing.T) {
	dir := filepath.Join("testdata", "crewjam-saml")
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Cases []*crewjamCase }
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Cases) != 13 {
		t.Fatalf("manifest has %d cases, want 13", len(m.Cases))
	}
	for _, c := range m.Cases {
		t.Run(c.File, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, c.File))
			if err != nil {
				t.Fatal(err)
			}
			xml := raw
			if c.Encoding != "xml" {
				if xml, err = base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw))); err != nil {
					t.Fatal(err)
				}
			}
			a, err := runCrewjam(t, c, xml)
			switch {
			case c.Expect == "accept":
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if a.NameID != c.ExpectNameID {
					t.Fatalf("NameID %q, want %q", a.NameID, c.ExpectNameID)
				}
			default: // "reject", and the multiple-assertion case where we choose to reject
				if err == nil {
					t.Fatalf("accepted (NameID %q), want refusal", a.NameID)
				}
				t.Logf("refused: %v", err)
			}
			for i, mu := range c.Mutations {
				mutated := []byte(strings.Replace(string(xml), mu.Replace[0], mu.Replace[1], 1))
				if string(mutated) == string(xml) {
					t.Fatalf("mutation %d did not apply", i)
				}
				a, err := runCrewjam(t, c, mutated)
				if strings.HasPrefix(mu.Expect, "reject,") { // reject, or accept with the exact NameID
					if err == nil && a.NameID != c.ExpectNameID {
						t.Fatalf("mutation %d: accepted with NameID %q", i, a.NameID)
					}
					t.Logf("mutation %d: err=%v", i, err)
					continue
				}
				if err == nil {
					t.Fatalf("mutation %d: accepted with NameID %q, want refusal", i, a.NameID)
				}
				t.Logf("mutation %d refused: %v", i, err)
			}
		})
	}
}
