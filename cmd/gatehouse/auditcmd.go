package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-id/gatehouse/internal/audit"
	"github.com/gatehouse-id/gatehouse/internal/config"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/internal/store"
	"github.com/gatehouse-id/gatehouse/internal/store/auditdb"
)

// auditKey derives the chain's HMAC key from the secret key file, as the
// server does. With create false a missing file is an error: a new key would
// make every record fail to verify, for the wrong reason.
func auditKey(cfg config.Config, create bool) ([]byte, error) {
	path := cfg.KeyFile()
	if !create {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("secret key file %s not found: the audit chain is keyed with it (set --config or GATEHOUSE_SECRET_KEY_FILE)", path)
		}
	}
	box, err := secret.LoadOrCreateKey(path)
	if err != nil {
		return nil, err
	}
	return box.DeriveKey(audit.KeyLabel), nil
}

// openAuditLog opens the database and the keyed log; close releases both.
func openAuditLog(ctx context.Context, f *dbFlags, createKey bool) (l *audit.Log, close func(), err error) {
	cfg, err := f.load()
	if err != nil {
		return nil, nil, err
	}
	key, err := auditKey(cfg, createKey)
	if err != nil {
		return nil, nil, err
	}
	db, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return nil, nil, err
	}
	return audit.NewLog(auditdb.New(db), key), func() { db.Close() }, nil
}

// parseWhen reads a point in time: RFC 3339, a date (2006-01-02, UTC), or a
// duration meaning that long before now ("720h").
func parseWhen(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use RFC 3339 (2026-01-02T15:04:05Z), a date (2026-01-02) or a duration before now (720h)", s)
}

// parseHead reads SEQ:HASH.
func parseHead(s string) (audit.Head, error) {
	seq, hash, ok := strings.Cut(s, ":")
	n, err := strconv.ParseInt(seq, 10, 64)
	if !ok || err != nil || n <= 0 || len(hash) != 64 {
		return audit.Head{}, fmt.Errorf("--head %q: want SEQ:HASH as `gatehouse audit verify` prints it", s)
	}
	return audit.Head{Seq: n, Hash: hash}, nil
}

func auditCmd() *cobra.Command {
	var f dbFlags
	cmd := &cobra.Command{Use: "audit", Short: "Verify, query, export and prune the audit log (hash-chained, append-only)"}
	f.add(cmd)
	cmd.AddCommand(auditVerifyCmd(&f), auditQueryCmd(&f), auditExportCmd(&f), auditPruneCmd(&f))
	return cmd
}

func auditVerifyCmd(f *dbFlags) *cobra.Command {
	var file, head string
	var asJSON bool
	c := &cobra.Command{
		Use:   "verify",
		Short: "Check the hash chain; exit 1 at the first edited, deleted or reordered record",
		Long: `Walk the audit log in seq order from its anchor (or genesis) and report the
first break: an edited record (hash mismatch), a deleted one (seq gap), a
reordered or inserted one (prev_hash mismatch), or an altered prune anchor.

A chain cannot show that its newest records were cut off. Keep the head this
command prints somewhere else and pass it back with --head to check that.
With --file, verify an export (gatehouse audit export) instead of the database.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var kept *audit.Head
			if head != "" {
				h, err := parseHead(head)
				if err != nil {
					return err
				}
				kept = &h
			}
			var rep *audit.Report
			var l *audit.Log
			if file != "" {
				cfg, err := f.load()
				if err != nil {
					return err
				}
				key, err := auditKey(cfg, false)
				if err != nil {
					return err
				}
				in, err := os.Open(file)
				if err != nil {
					return err
				}
				defer in.Close()
				if rep, err = audit.VerifyJSONL(in, key); err != nil {
					return err
				}
			} else {
				var done func()
				var err error
				if l, done, err = openAuditLog(ctx, f, false); err != nil {
					return err
				}
				defer done()
				if rep, err = l.Verify(ctx); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			}
			if rep.Break != nil {
				if !asJSON {
					fmt.Fprintf(out, "FAILED: %d records intact before seq %d\n", rep.Records, rep.Break.Seq)
				}
				return rep.Break
			}
			if kept != nil {
				if l == nil {
					if kept.Seq > rep.Last || kept.Seq < rep.First {
						return fmt.Errorf("--head seq %d is outside the export (seq %d to %d)", kept.Seq, rep.First, rep.Last)
					}
				} else if err := l.CheckHead(ctx, *kept); err != nil {
					if !asJSON {
						fmt.Fprintf(out, "FAILED: chain intact, but the head kept earlier does not match\n")
					}
					return err
				}
			}
			if asJSON {
				return nil
			}
			if rep.Records == 0 {
				fmt.Fprintln(out, "ok: 0 records, chain is empty")
				return nil
			}
			fmt.Fprintf(out, "ok: %d records, chain intact from seq %d to %d\n", rep.Records, rep.First, rep.Last)
			if rep.Anchor != nil {
				fmt.Fprintf(out, "anchor: pruned through seq %d on %s\n", rep.Anchor.Seq, rep.Anchor.Time.Format(time.RFC3339))
			}
			if kept != nil {
				fmt.Fprintf(out, "head seq %d matches\n", kept.Seq)
			}
			fmt.Fprintf(out, "head: %d:%s (keep it elsewhere; --head %d:%s detects deleted newest records)\n",
				rep.Last, rep.LastHash, rep.Last, rep.LastHash)
			return nil
		},
	}
	c.Flags().StringVar(&file, "file", "", "verify a JSON-lines export instead of the database")
	c.Flags().StringVar(&head, "head", "", "SEQ:HASH printed by an earlier verify; fail if that record is gone or changed")
	c.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return c
}

func auditQueryCmd(f *dbFlags) *cobra.Command {
	var flt audit.Filter
	var since, until string
	var asJSON bool
	c := &cobra.Command{
		Use:   "query",
		Short: "List audit records, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			now := time.Now()
			var err error
			if since != "" {
				if flt.Since, err = parseWhen(since, now); err != nil {
					return err
				}
			}
			if until != "" {
				if flt.Until, err = parseWhen(until, now); err != nil {
					return err
				}
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
			rs, err := audit.NewLog(auditdb.New(db), nil).Query(ctx, flt) // reading needs no key
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				for i := range rs {
					if err := enc.Encode(&rs[i]); err != nil {
						return err
					}
				}
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SEQ\tTIME\tKIND\tACTOR\tSUBJECT\tACTION\tOUTCOME\tREASON")
			for _, r := range rs {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Seq, r.Time.Format(time.RFC3339), r.Kind, r.Actor, r.Subject,
					r.Action, r.Outcome, r.Reason)
			}
			return tw.Flush()
		},
	}
	c.Flags().StringVar(&flt.Kind, "kind", "", `record kind, or a prefix ending in "*" (signin.*)`)
	c.Flags().StringVar(&flt.Actor, "actor", "", "who acted")
	c.Flags().StringVar(&flt.Subject, "subject", "", "the object acted on")
	c.Flags().StringVar(&flt.Outcome, "outcome", "", "success, refused or failure")
	c.Flags().StringVar(&since, "since", "", "from this time (RFC 3339, date, or a duration before now: 24h)")
	c.Flags().StringVar(&until, "until", "", "before this time")
	c.Flags().IntVar(&flt.Limit, "limit", 100, "at most this many records (at most 10000)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON lines")
	return c
}

func auditExportCmd(f *dbFlags) *cobra.Command {
	var since string
	c := &cobra.Command{
		Use:   "export",
		Short: "Write the audit log as JSON lines, oldest first, with hashes (verify with `audit verify --file`)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var from time.Time
			if since != "" {
				var err error
				if from, err = parseWhen(since, time.Now()); err != nil {
					return err
				}
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
			n, err := audit.NewLog(auditdb.New(db), nil).Export(ctx, cmd.OutOrStdout(), from)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "exported %d records\n", n)
			return nil
		},
	}
	c.Flags().StringVar(&since, "since", "", "only records from this time (RFC 3339, date, or a duration before now)")
	return c
}

func auditPruneCmd(f *dbFlags) *cobra.Command {
	var before, actor string
	var olderThan time.Duration
	c := &cobra.Command{
		Use:   "prune",
		Short: "Delete the oldest records (retention), keeping the rest verifiable from an anchor",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			now := time.Now()
			var cut time.Time
			switch {
			case before != "" && olderThan != 0:
				return errors.New("give --before or --older-than, not both")
			case before != "":
				var err error
				if cut, err = parseWhen(before, now); err != nil {
					return err
				}
			case olderThan > 0:
				cut = now.Add(-olderThan)
			default:
				return errors.New("give --before 2026-01-01 or --older-than 8760h")
			}
			l, done, err := openAuditLog(ctx, f, true)
			if err != nil {
				return err
			}
			defer done()
			n, err := l.Prune(ctx, actor, cut)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "pruned %d records before %s\n", n, cut.UTC().Format(time.RFC3339))
			return nil
		},
	}
	c.Flags().StringVar(&before, "before", "", "delete records before this time (RFC 3339 or date)")
	c.Flags().DurationVar(&olderThan, "older-than", 0, "delete records older than this (8760h is a year)")
	c.Flags().StringVar(&actor, "actor", "cli", "who prunes, as the prune's audit record names them")
	return c
}
