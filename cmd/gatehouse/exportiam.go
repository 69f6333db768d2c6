package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/center/portal"
	"github.com/gatehouse-id/gatehouse/internal/center/samlsp"
	"github.com/gatehouse-id/gatehouse/internal/config"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
)

// exportIAMCmd is `gatehouse center export-iam`: the CloudFormation
// template that sets up a member account for the center (reference §4.1).
//
// The SAML provider's metadata is, by default, the center's own IdP
// metadata (portal.CenterIdP: the signing certificate the access portal's
// "Management console" action signs with, created on first use and stored
// in the center's tables, private key sealed with the secret key file), the
// same document the center serves at <center_url>/saml/idp/metadata. Its
// entity id is built from --center-url, by default the configured
// center.url or else http://<center.listen>, which must be the URL the
// center runs at. --idp-metadata-url overrides it: the document is
// fetched, checked to be IdP metadata, and embedded instead.
func exportIAMCmd(f *dbFlags) *cobra.Command {
	var account, metadataURL, centerURL, out string
	cmd := &cobra.Command{
		Use:   "export-iam",
		Short: "Write a CloudFormation template with the SAML provider and permission set roles of one account",
		Long: `Write a CloudFormation template (JSON) for a member account: an IAM SAML provider
named Gatehouse and, for every permission set assigned in the account, a role
AWSReservedSSO_<name>_<16 hex> that the provider's users may assume
(sts:AssumeRoleWithSAML and sts:TagSession, audience https://signin.aws.amazon.com/saml),
with the permission set's session duration, policies and permissions boundary.

The SAML provider trusts the center's own IdP: the template embeds the
center's IdP metadata, read from the database (the signing certificate is
created on first use, its private key sealed with the secret key file), the
same document the center serves at <center_url>/saml/idp/metadata. The
access portal's "Management console" action signs with that certificate.
The metadata's entity id is <center_url>/saml/idp/metadata, where center_url
is --center-url, else the configured center.url, else http://<center.listen>.

--idp-metadata-url embeds another IdP's metadata instead, fetched from that
URL and checked to be IdP metadata.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var metadata string
			if metadataURL != "" {
				md, err := fetchIdPMetadata(ctx, metadataURL)
				if err != nil {
					return err
				}
				metadata = md
			}
			cfg, err := f.load()
			if err != nil {
				return err
			}
			db, err := store.Open(ctx, cfg.Database)
			if err != nil {
				return err
			}
			defer db.Close()
			s := centerdb.New(db)
			acc, err := exportAccount(ctx, s, account)
			if err != nil {
				return err
			}
			sets, err := assignedPermissionSets(ctx, s, acc.ID)
			if err != nil {
				return err
			}
			if metadata == "" {
				box, err := secret.LoadOrCreateKey(cfg.KeyFile())
				if err != nil {
					return err
				}
				md, err := (&portal.CenterIdP{Certs: s, Box: box}).Metadata(ctx, exportCenterURL(centerURL, cfg))
				if err != nil {
					return fmt.Errorf("the center's IdP metadata: %w", err)
				}
				metadata = string(md)
			}
			tmpl, err := portal.IAMTemplate(acc.ID, sets, metadata)
			if err != nil {
				return err
			}
			tmpl = append(tmpl, '\n')
			if out == "" || out == "-" {
				_, err = cmd.OutOrStdout().Write(tmpl)
				return err
			}
			if err := os.WriteFile(out, tmpl, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s: SAML provider %s and %d roles for account %s (%s)\n",
				out, portal.SAMLProviderName, len(sets), acc.ID, acc.Name)
			return nil
		},
	}
	cmd.Flags().StringVar(&account, "account", "", "12-digit account id (default: the only real AWS account, or the only account)")
	cmd.Flags().StringVar(&centerURL, "center-url", "", "the center's external URL, base of its IdP entity id (default: center.url, else http://<center.listen>)")
	cmd.Flags().StringVar(&metadataURL, "idp-metadata-url", "", "URL of another IdP's metadata to embed instead of the center's own")
	cmd.Flags().StringVar(&out, "out", "", "file to write (default: standard output)")
	return cmd
}

// exportCenterURL is the center's external URL as `gatehouse serve` uses
// it: the flag, else the configured center.url, else the listen address.
func exportCenterURL(flag string, cfg config.Config) string {
	switch {
	case flag != "":
		return strings.TrimRight(flag, "/")
	case cfg.Center.URL != "":
		return strings.TrimRight(cfg.Center.URL, "/")
	}
	return "http://" + cfg.Center.Listen
}

// exportAccount is the account named by id or, with none, the only real
// AWS account or else the only account.
func exportAccount(ctx context.Context, s center.AccessStore, id string) (*center.Account, error) {
	if id != "" {
		acc, err := s.GetAccount(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("account %s: %w", id, err)
		}
		return acc, nil
	}
	all, err := s.ListAccounts(ctx)
	if err != nil {
		return nil, err
	}
	var real []*center.Account
	for _, a := range all {
		if a.RealAWS {
			real = append(real, a)
		}
	}
	switch {
	case len(real) == 1:
		return real[0], nil
	case len(real) == 0 && len(all) == 1:
		return all[0], nil
	case len(all) == 0:
		return nil, fmt.Errorf("the center has no accounts")
	}
	ids := make([]string, len(all))
	for i, a := range all {
		ids[i] = a.ID + " (" + a.Name + ")"
	}
	return nil, fmt.Errorf("several accounts; choose one with --account: %s", strings.Join(ids, ", "))
}

// assignedPermissionSets are the permission sets assigned to anyone in the
// account.
func assignedPermissionSets(ctx context.Context, s center.AccessStore, accountID string) ([]*center.PermissionSet, error) {
	all, err := s.ListPermissionSets(ctx)
	if err != nil {
		return nil, err
	}
	var out []*center.PermissionSet
	for _, ps := range all {
		as, err := s.ListAccountAssignments(ctx, accountID, ps.ARN)
		if err != nil {
			return nil, err
		}
		if len(as) > 0 {
			out = append(out, ps)
		}
	}
	return out, nil
}

func fetchIdPMetadata(ctx context.Context, u string) (string, error) {
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return "", fmt.Errorf("--idp-metadata-url: %q is not an http(s) URL", u)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("fetch IdP metadata: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("fetch IdP metadata: %s answered %s", u, resp.Status)
	}
	// IAM accepts metadata documents of up to 10 MB.
	body, err := io.ReadAll(io.LimitReader(resp.Body, 10<<20+1))
	if err != nil {
		return "", fmt.Errorf("fetch IdP metadata: %w", err)
	}
	if len(body) > 10<<20 {
		return "", fmt.Errorf("IdP metadata at %s is larger than IAM's 10 MB limit", u)
	}
	if _, err := samlsp.ParseIdPMetadata(body); err != nil {
		return "", fmt.Errorf("IdP metadata at %s: %w", u, err)
	}
	return strings.TrimPrefix(string(body), "\xEF\xBB\xBF"), nil
}
