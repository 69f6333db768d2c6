package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	// provisions into the center.
	AppID string `json:"app_id"`
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
			path := filepath.Join(data, "demo.json")
			d, err := seedDemo(cmd.Context(), in, path)
			if err != nil {
				return err
			}
			printDemo(cmd, d, path)
			return in.run(cmd.Context())
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
	b, _ := json.MarshalIndent(d, "", "  ")
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return nil, err
	}
	return d, nil
}

func printDemo(cmd *cobra.Command, d *demoFile, path string) {
	fmt.Fprintf(cmd.OutOrStdout(), `
Gatehouse demo is running.

  Center (AWS IAM Identity Center role)   %s
    SCIM endpoint                         %s
    SCIM token                            %s
  Directory (Entra ID role)               %s
    Graph API (v1.0-compatible)           %s
    Graph token                           %s

Everything above is also in %s.

Try the SCIM server:
  curl -s -H "Authorization: Bearer %s" '%s/Users?filter=userName%%20eq%%20%%22ada%%22'

Press Ctrl-C to stop.
Add a user through the Graph API; the directory provisions them into the center at once:
  curl -s -X POST -H "Authorization: Bearer %s" -H 'Content-Type: application/json' '%s/users' \
    -d '{"userPrincipalName":"ada@gatehouse.example","displayName":"Ada Lovelace","givenName":"Ada","surname":"Lovelace","accountEnabled":true}'
`, d.CenterURL, d.SCIMURL, d.SCIMToken, d.DirectoryURL, d.GraphURL, d.GraphToken, path, d.SCIMToken, d.SCIMURL,
		d.GraphToken, d.GraphURL)
}
