package reviews

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"
)

// ReportHeader is the first row of the CSV report.
var ReportHeader = []string{"campaign", "instance", "item", "user_upn", "decision", "reviewer", "reason",
	"recommendation", "reviewed_at", "applied"}

// Report writes the CSV report (RFC 4180) of a campaign's instances,
// oldest first, or of one instance when instanceID is not empty: one row
// per item. The reviewer is shown by userPrincipalName when the directory
// knows them, "system" for a default decision.
func (s *Service) Report(ctx context.Context, w io.Writer, campaignID, instanceID string) error {
	c, err := s.Store.GetCampaign(ctx, campaignID)
	if err != nil {
		return err
	}
	var insts []*Instance
	if instanceID != "" {
		in, err := s.Store.GetInstance(ctx, instanceID)
		if err != nil {
			return err
		}
		if in.CampaignID != c.ID {
			return ErrNotFound
		}
		insts = []*Instance{in}
	} else if insts, err = s.Instances(ctx, c.ID); err != nil {
		return err
	}
	names := map[string]string{}
	name := func(id string) string {
		if id == "" || id == ActorSystem {
			return id
		}
		if n, ok := names[id]; ok {
			return n
		}
		n := id
		if u, err := s.Dir.GetUser(ctx, id); err == nil {
			n = u.UserPrincipalName
		}
		names[id] = n
		return n
	}
	cw := csv.NewWriter(w)
	cw.Write(ReportHeader)
	for _, in := range insts {
		items, err := s.Store.ListItems(ctx, in.ID)
		if err != nil {
			return err
		}
		for _, it := range items {
			at := ""
			if !it.ReviewedAt.IsZero() {
				at = it.ReviewedAt.Format(time.RFC3339)
			}
			cw.Write([]string{cell(c.Name), in.ID, it.ID, cell(it.UPN), string(it.Decision), cell(name(it.ReviewedBy)),
				cell(it.Reason), it.Recommendation, at, strconv.FormatBool(it.Applied)})
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// cell keeps a spreadsheet from reading free text as a formula (OWASP
// "CSV injection"): a leading =, +, -, @, tab or CR is escaped with '.
func cell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
