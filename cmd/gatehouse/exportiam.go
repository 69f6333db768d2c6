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
	"github.com/gatehouse-id/gatehouse/internal/store/centerdb"
)

// exportIAMCmd is `gatehouse center export-iam`: the CloudFormation
// template that sets up a member account for the center (reference §4.1).
//
// The SAML provider's metadata: the center has no IdP signing key of its
// own yet (it is a SAML SP toward the identity source, and does not yet
// sign assertions for AWS sign-in), so there is no metadata of the center's
// to embed. With --idp-metadata-url the document is fetched, checked to be
// IdP metadata, and embedded; without it the template declares the
// parameter SamlMetadataDocument, supplied at deployment, e.g.
//
//	aws cloudformation deploy --template-file gatehouse-iam.json --stack-name gatehouse \
//	  --capabilities CAPABILITY_NAMED_IAM --parameter-overrides SamlMetadataDocument="$(cat idp.xml)"
func exportIAMCmd(f *dbFlags) *cobra.Command {
	var account, metadataURL, out string
	cmd := &cobra.Command{
		Use:   "export-iam",
		Short: "Write a CloudFormation template with the SAML provider and permission set roles of one account",
		Long: `Write a CloudFormation template (JSON) for a member account: an IAM SAML provider
named Gatehouse and, for every permission set assigned in the account, a role
AWSReservedSSO_<name>_<16 hex> that the provider's users may assume
(sts:AssumeRoleWithSAML and sts:TagSession, audience https://signin.aws.amazon.com/saml),
with the permission set's session duration, policies and permissions boundary.

The SAML provider's metadata is fetched from --idp-metadata-url and embedded;
without it the template takes it from the parameter SamlMetadataDocument
(the center has no IdP metadata of its own to embed).`,
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
			db, err := f.open(ctx)
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
	cmd.Flags().StringVar(&metadataURL, "idp-metadata-url", "", "URL of the IdP metadata to embed in the SAML provider (default: a template parameter)")
	cmd.Flags().StringVar(&out, "out", "", "file to write (default: standard output)")
	return cmd
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
