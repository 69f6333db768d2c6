package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/center/portal"
	"github.com/gatehouse-id/gatehouse/internal/center/samlsp"
	"github.com/gatehouse-id/gatehouse/internal/scim"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
)

func runCenter(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := centerCmd()
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

// withCenter runs fn on the center store in the SQLite file at dbPath,
// closing it after, as a command would find it.
func withCenter(t *testing.T, dbPath string, fn func(s *centerdb.Store, inst *center.Instance)) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := centerdb.New(db)
	inst, err := s.Instance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fn(s, inst)
}

// TestExportIAMEmbedsCenterMetadata: by default export-iam embeds the
// center's own IdP metadata from the store, byte for byte what the center
// serves at /saml/idp/metadata, signed for by the certificate the portal's
// console sign-in uses.
func TestExportIAMEmbedsCenterMetadata(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "gatehouse.db")
	const centerURL = "https://center.example.test"
	const acct = "111111111111"
	now := time.Now().UTC()
	withCenter(t, dbPath, func(s *centerdb.Store, inst *center.Instance) {
		ps := &center.PermissionSet{ARN: center.NewPermissionSetARN(inst.InstanceID), Name: "Admin", SessionDuration: "PT4H", CreatedDate: now}
		if err := s.CreatePermissionSet(ctx, ps); err != nil {
			t.Fatal(err)
		}
		if err := s.PutAccount(ctx, &center.Account{ID: acct, Name: "Prod", Email: "aws+prod@example.com", RealAWS: true, CreatedDate: now}); err != nil {
			t.Fatal(err)
		}
		uid := "9067729b3d-11111111-1111-1111-1111-111111111111"
		if err := s.CreateUser(ctx, &scim.User{ID: uid, UserName: "alice@example.com", Active: scim.Bool(true),
			Meta: &scim.Meta{ResourceType: "User", Created: now, LastModified: now}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateAccountAssignment(ctx, &center.AccountAssignment{AccountID: acct, PermissionSetARN: ps.ARN,
			PrincipalType: center.PrincipalUser, PrincipalID: uid}); err != nil {
			t.Fatal(err)
		}
	})

	out, stderr, err := runCenter(t, "--database", dbPath, "export-iam", "--center-url", centerURL)
	if err != nil {
		t.Fatalf("export-iam: %v\n%s", err, stderr)
	}
	var tmpl struct {
		Parameters map[string]any
		Resources  map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal([]byte(out), &tmpl); err != nil {
		t.Fatalf("template: %v\n%s", err, out)
	}
	if len(tmpl.Parameters) != 0 {
		t.Errorf("parameters %v, want none: the metadata is embedded", tmpl.Parameters)
	}
	embedded, _ := tmpl.Resources["GatehouseSAMLProvider"].Properties["SamlMetadataDocument"].(string)
	md, err := samlsp.ParseIdPMetadata([]byte(embedded))
	if err != nil {
		t.Fatalf("embedded metadata: %v\n%s", err, embedded)
	}
	if md.EntityID != centerURL+"/saml/idp/metadata" || len(md.Certs) != 1 {
		t.Errorf("embedded entity id %q, %d certificates", md.EntityID, len(md.Certs))
	}
	roles := 0
	for _, r := range tmpl.Resources {
		if r.Type == "AWS::IAM::Role" {
			roles++
		}
	}
	if roles != 1 {
		t.Errorf("%d roles, want 1", roles)
	}

	// The center, on the same database and secret key, serves the same
	// document; a second export does not make a new key.
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	box, err := secret.LoadOrCreateKey(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	s := centerdb.New(db)
	h := &portal.Handler{Store: s, Sessions: s, SP: &samlsp.SP{CenterURL: centerURL, Store: s, Users: s}, IdPCerts: s, Box: box}
	mux := http.NewServeMux()
	h.Mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/saml/idp/metadata")
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(served) != embedded {
		t.Errorf("served metadata (%d) differs from the embedded one:\n%s\n---\n%s", resp.StatusCode, served, embedded)
	}
	certs, err := s.IdPCerts(ctx)
	if err != nil || len(certs) != 1 {
		t.Fatalf("IdP certificates %d, %v; want 1", len(certs), err)
	}
	db.Close()
	out2, _, err := runCenter(t, "--database", dbPath, "export-iam", "--center-url", centerURL)
	if err != nil || out2 != out {
		t.Errorf("second export differs (err %v)", err)
	}

	// --idp-metadata-url overrides: another IdP's metadata is embedded.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Replace(embedded, centerURL+"/saml/idp/metadata", "https://other-idp.example.test/md", 1)))
	}))
	defer other.Close()
	out3, stderr, err := runCenter(t, "--database", dbPath, "export-iam", "--idp-metadata-url", other.URL)
	if err != nil {
		t.Fatalf("export-iam --idp-metadata-url: %v\n%s", err, stderr)
	}
	if !strings.Contains(out3, "https://other-idp.example.test/md") || strings.Contains(out3, centerURL+"/saml/idp/metadata") {
		t.Error("--idp-metadata-url did not override the center's metadata")
	}
}
