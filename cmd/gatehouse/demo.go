package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/center/scimserver"
	"github.com/gatehouse-id/gatehouse/internal/config"
	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/directory/graphapi"
	"github.com/gatehouse-id/gatehouse/internal/provisioning"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
)

// demoFile is demo.json: everything a newcomer, a script or a browser test
// needs to use the running demo. Its keys are a contract; later features add
// keys, never rename them.
type demoFile struct {
	CenterURL    string `json:"center_url"`
	SCIMURL      string `json:"scim_url"`
	SCIMToken    string `json:"scim_token"`
	SCIMTokenID  string `json:"scim_token_id"`
	DirectoryURL string `json:"directory_url"`
	// GraphURL is the Graph v1.0-compatible admin API; GraphToken its
	// bearer token.
	GraphURL     string `json:"graph_url"`
	GraphToken   string `json:"graph_token"`
	GraphTokenID string `json:"graph_token_id"`
	// AppID is the directory's "AWS IAM Identity Center" app, which
	// provisions into the center and signs users in to it.
	AppID string `json:"app_id"`

	// Sign-in: My Apps and the IdP at the directory, the SP and the access
	// portal at the center, and people who can sign in.
	MyAppsURL      string     `json:"myapps_url"`
	IdPMetadataURL string     `json:"idp_metadata_url"`
	SPMetadataURL  string     `json:"sp_metadata_url"`
	PortalURL      string     `json:"portal_url"`
	Users          []demoUser `json:"users"`
	Accounts       []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"accounts"`

	// The AWS-compatible API (aws --endpoint-url).
	AWSEndpoint        string `json:"aws_endpoint"`
	AWSAccessKeyID     string `json:"aws_access_key_id"`
	AWSSecretAccessKey string `json:"aws_secret_access_key"`
	InstanceARN        string `json:"instance_arn"`
	IdentityStoreID    string `json:"identity_store_id"`

	// Admin holds the consoles' sign-in: the directory console's admin and
	// read-only admin, and the center console's ("center",
	// "center_read_only"), who sign in there through SAML.
	Admin *demoAdmins `json:"admin,omitempty"`
}

func demoCmd() *cobra.Command {
	var data, centerListen, directoryListen string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Start a ready-to-use instance on embedded SQLite, with nothing to set up",
		Long: `Start Gatehouse with both halves on an embedded SQLite database in the data
directory, and write demo.json there with the URLs and credentials to use.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg := config.Default()
			cfg.Database = filepath.Join(data, "gatehouse.db")
			cfg.Center.Listen, cfg.Directory.Listen = centerListen, directoryListen
			log := newLogger("info", "text")
			in, err := start(cmd.Context(), cfg, log)
			if err != nil {
				return err
			}
			defer in.close()
			// Serve first: seeding talks to the listeners as an admin would
			// (metadata is fetched from its URL).
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			served := make(chan error, 1)
			go func() { served <- in.run(ctx) }()
			path := filepath.Join(data, "demo.json")
			d, err := seedDemo(ctx, in, path)
			if err != nil {
				cancel()
				<-served
				return err
			}
			printDemo(cmd, d, path)
			return <-served
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", "./gatehouse-demo", "data directory for the database and demo.json")
	f.StringVar(&centerListen, "center-listen", "127.0.0.1:8090", "address of the center's listener")
	f.StringVar(&directoryListen, "directory-listen", "127.0.0.1:8080", "address of the directory's listener")
	return cmd
}

// seedDemo makes the demo usable and writes demo.json. Secrets are stored
// hashed, so each start issues a fresh SCIM token and revokes the previous
// demo token rather than reusing it.
func seedDemo(ctx context.Context, in *instance, path string) (*demoFile, error) {
	cs := centerdb.New(in.db)
	var prev demoFile
	if b, err := os.ReadFile(path); err == nil {
		json.Unmarshal(b, &prev)
	}
	now := time.Now()
	if prev.SCIMTokenID != "" {
		if err := cs.RevokeSCIMToken(ctx, prev.SCIMTokenID, now); err != nil && !errors.Is(err, center.ErrNotFound) {
			return nil, err
		}
	}
	t, bearer := center.NewSCIMToken(now)
	if err := cs.CreateSCIMToken(ctx, t, now); err != nil {
		return nil, fmt.Errorf("demo SCIM token: %w (revoke one with gatehouse center scim-token revoke)", err)
	}
	d := &demoFile{
		CenterURL:    in.center.URL(),
		SCIMToken:    bearer,
		SCIMTokenID:  t.ID,
		DirectoryURL: in.dir.URL(),
	}
	d.SCIMURL = d.CenterURL + scimserver.Prefix
	app, err := seedDirectory(ctx, in.dirStore)
	if err != nil {
		return nil, err
	}
	// The directory provisions into the center out of the box, over SCIM
	// with the demo's token, like Entra ID into AWS IAM Identity Center.
	set := provisioning.DefaultSettings(d.SCIMURL)
	if job, err := in.provStore.GetJob(ctx, app.ID); err == nil {
		set = job.Settings
		set.TenantURL = d.SCIMURL
	}
	if _, err := in.engine.Configure(ctx, app.ID, set, bearer); err != nil {
		return nil, err
	}
	if err := in.engine.SetEnabled(ctx, app.ID, true); err != nil {
		return nil, err
	}
	d.AppID = app.ID
	if prev.GraphTokenID != "" {
		if err := in.dirStore.RevokeAPIToken(ctx, prev.GraphTokenID, now); err != nil && !errors.Is(err, directory.ErrNotFound) {
			return nil, err
		}
	}
	if d.GraphToken, err = graphapi.NewAPIToken(ctx, in.dirStore, "demo", now); err != nil {
		return nil, err
	}
	d.GraphTokenID, _, _ = secret.SplitToken(d.GraphToken)
	d.GraphURL = d.DirectoryURL + graphapi.Prefix

	if d.Users, err = seedSignIn(ctx, in.dirStore, in.dirStore); err != nil {
		return nil, err
	}
	if d.IdPMetadataURL, err = seedFederation(ctx, in, app); err != nil {
		return nil, err
	}
	d.MyAppsURL = d.DirectoryURL + "/myapps"
	d.SPMetadataURL = in.sp.EntityID()
	d.PortalURL = d.CenterURL + "/start"
	if err := seedAccess(ctx, in.centerStore, in.centerStore); err != nil {
		return nil, err
	}
	for _, a := range demoAccounts {
		d.Accounts = append(d.Accounts, struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		}{a.ID, a.Name})
	}
	if d.AWSAccessKeyID, d.AWSSecretAccessKey, err = seedAccessKey(ctx, in, prev.AWSAccessKeyID); err != nil {
		return nil, err
	}
	d.AWSEndpoint = d.CenterURL
	inst, err := in.centerStore.Instance(ctx)
	if err != nil {
		return nil, err
	}
	d.InstanceARN, d.IdentityStoreID = "arn:aws:sso:::instance/"+inst.InstanceID, inst.IdentityStoreID
	if err := seedEligibility(ctx, in, d.Users[0].Username); err != nil {
		return nil, err
	}
	if err := seedOwner(ctx, in.dirStore); err != nil {
		return nil, err
	}
	if d.Admin, err = seedConsoleAdmins(ctx, in.dirStore, d.DirectoryURL); err != nil {
		return nil, err
	}
	if err := seedCenterConsole(ctx, in, app, d.Admin, d.CenterURL); err != nil {
		return nil, err
	}
	b, _ := json.MarshalIndent(d, "", "  ")
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return nil, err
	}
	return d, nil
}

func printDemo(cmd *cobra.Command, d *demoFile, path string) {
	u := d.Users[0]
	fmt.Fprintf(cmd.OutOrStdout(), `
Gatehouse demo is running. Everything below is also in %s.

  Directory (the Entra ID role)          %s
    My Apps (sign in here)               %s
    Graph API (v1.0-compatible)          %s   token %s
  Center (the AWS IAM Identity Center role)  %s
    AWS access portal                    %s
    SCIM endpoint                        %s   token %s
    AWS API (aws --endpoint-url)         %s   key %s

A short tour:
  1. Open %s and sign in as %s with password %s.
     Click the "AWS IAM Identity Center" tile: you land in the access portal with the
     accounts and permission sets your groups grant.
  2. Add a joiner through the Graph API; the directory provisions them into the center at once:
       curl -s -X POST -H "Authorization: Bearer %s" -H 'Content-Type: application/json' '%s/users' \
         -d '{"userPrincipalName":"ada@gatehouse.example","displayName":"Ada Lovelace","givenName":"Ada","surname":"Lovelace","accountEnabled":true}'
       curl -s -H "Authorization: Bearer %s" '%s/Users?filter=userName%%20eq%%20%%22ada@gatehouse.example%%22'
  3. Drive the center with the AWS CLI:
       AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_DEFAULT_REGION=us-east-1 \
         aws --endpoint-url %s sso-admin list-permission-sets --instance-arn %s
  4. Watch provisioning: go run ./cmd/gatehouse provisioning status --database %s
%s
Press Ctrl-C to stop.
`, path, d.DirectoryURL, d.MyAppsURL, d.GraphURL, d.GraphToken, d.CenterURL, d.PortalURL, d.SCIMURL, d.SCIMToken,
		d.AWSEndpoint, d.AWSAccessKeyID, d.MyAppsURL, u.Username, u.Password, d.GraphToken, d.GraphURL, d.SCIMToken, d.SCIMURL,
		d.AWSAccessKeyID, d.AWSSecretAccessKey, d.AWSEndpoint, d.InstanceARN, strings.TrimSuffix(path, "demo.json")+"gatehouse.db",
		consoleTour(d))
}

// consoleTour is the tour's step about the consoles, when they were seeded.
func consoleTour(d *demoFile) string {
	if d.Admin == nil || d.Admin.Directory == nil {
		return ""
	}
	out := fmt.Sprintf("  5. Administer the directory at %s as %s / %s\n", d.Admin.Directory.URL,
		d.Admin.Directory.Username, d.Admin.Directory.Password)
	if c := d.Admin.Center; c != nil {
		out += fmt.Sprintf("     and the center at %s (same account, signed in through SAML)\n", c.URL)
	}
	out += fmt.Sprintf("  6. Just-in-time access: as %s, open %s/myaccess and activate %s\n"+
		"     with a justification; the access portal offers DeveloperAdmin within a second, until it ends.\n",
		d.Users[0].Username, d.DirectoryURL, demoJITGroup)
	return out
}
