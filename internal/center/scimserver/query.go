package scimserver

import (
	"encoding/base64"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gatehouse-id/gatehouse/internal/center"
	"github.com/gatehouse-id/gatehouse/internal/scim"
	"github.com/gatehouse-id/gatehouse/internal/scim/filter"
)

// maxCount is AWS's page size limit, also the default count.
const maxCount = 100

// listParams is a parsed list request (RFC 7644 §3.4.2 as AWS restricts it).
type listParams struct {
	q      center.Query
	cursor bool // AWS's cursor mode: nextCursor instead of totalResults
}

// filterAttrs maps the attribute paths AWS lets clients filter on, lower
// cased, to the store's names (shared/reference/aws-identity-center.md §1.4).
var (
	userFilterAttrs = map[string]string{
		"username": center.AttrUserName, "externalid": center.AttrExternalID, "id": center.AttrID,
		"manager": center.AttrManager, "manager.value": center.AttrManager, "groups.value": center.AttrGroups,
	}
	groupFilterAttrs = map[string]string{
		"displayname": center.AttrDisplayName, "externalid": center.AttrExternalID, "id": center.AttrID,
		"members.value": center.AttrMembers, "members": center.AttrMembers,
	}
)

func parseList(v url.Values, attrs map[string]string, kind string) (*listParams, error) {
	p := &listParams{q: center.Query{Count: maxCount}}
	for k := range v {
		switch k {
		case "filter", "count", "cursor", "startIndex", "attributes", "excludedAttributes":
		case "sortBy", "sortOrder":
			return nil, badRequest("Sorting is not supported.")
		default:
			return nil, badRequest("The query parameter %q is not supported.", k)
		}
	}
	if s := v.Get("count"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, badRequest("count must be a whole number from 1 to %d.", maxCount)
		}
		p.q.Count = min(n, maxCount) // RFC 7644 §3.4.2.4: a server may return fewer
	}
	// startIndex is not supported; 1 is the default and harmless, anything
	// else would silently return the first page again.
	if s := v.Get("startIndex"); s != "" && s != "1" {
		return nil, badRequest("startIndex is not supported; use the cursor parameter to page.")
	}
	if _, ok := v["cursor"]; ok {
		p.cursor = true
		after, err := decodeCursor(v.Get("cursor"))
		if err != nil {
			return nil, err
		}
		p.q.After = after
	} else {
		p.q.Total = true
	}
	if f := v.Get("filter"); f != "" {
		m, err := parseFilter(f, attrs, kind)
		if err != nil {
			return nil, err
		}
		p.q.Match = m
	}
	return p, nil
}

// parseFilter turns a filter into equality matches: AWS supports only `eq`,
// joined by `and`, on a few attributes.
func parseFilter(f string, attrs map[string]string, kind string) ([]center.Match, error) {
	expr, err := filter.Parse(f)
	if err != nil {
		var se *filter.SyntaxError
		if errors.As(err, &se) {
			return nil, badRequest("Invalid filter: %s", err.Error())
		}
		return nil, badRequest("Invalid filter.")
	}
	cmps, ok := filter.Conjuncts(expr)
	if !ok {
		return nil, badRequest("Only eq comparisons joined by and are supported in filters.")
	}
	var out []center.Match
	for _, c := range cmps {
		if c.Op != "eq" {
			return nil, badRequest("The operator %s is not supported; only eq is.", c.Op)
		}
		path := c.Path
		if path.URN != "" && !strings.EqualFold(path.URN, scim.SchemaEnterprise) &&
			!strings.EqualFold(path.URN, scim.SchemaUser) && !strings.EqualFold(path.URN, scim.SchemaGroup) {
			return nil, badRequest("Filtering on %s is not supported.", path)
		}
		name := strings.ToLower(path.Name)
		if path.Sub != "" {
			name += "." + strings.ToLower(path.Sub)
		}
		attr, ok := attrs[name]
		if !ok {
			return nil, badRequest("Filtering %s on %s is not supported.", kind, path)
		}
		s, ok := c.Value.(string)
		if !ok {
			return nil, badRequest("The value compared with %s must be a string.", path)
		}
		out = append(out, center.Match{Attr: attr, Value: s})
	}
	return out, nil
}

// Cursors are opaque to clients; inside, the position of the last resource
// returned. AWS's cursor pattern is [-a-zA-Z0-9+=/:_]*, which base64 fits.
func encodeCursor(after int64) string {
	return base64.StdEncoding.EncodeToString([]byte("p:" + strconv.FormatInt(after, 10)))
}

func decodeCursor(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err == nil {
		if rest, ok := strings.CutPrefix(string(b), "p:"); ok {
			if n, err := strconv.ParseInt(rest, 10, 64); err == nil && n >= 0 {
				return n, nil
			}
		}
	}
	return 0, badRequest("The cursor is not valid.")
}

// listResponse builds the ListResponse in AWS's two formats.
func listResponse[T any](p *listParams, items []T, total int, next int64) scim.ListResponse {
	lr := scim.ListResponse{Schemas: []string{scim.SchemaListResponse}, ItemsPerPage: len(items), Resources: make([]any, len(items))}
	for i, it := range items {
		lr.Resources[i] = it
	}
	if p.cursor {
		if next > 0 {
			lr.NextCursor = encodeCursor(next)
		}
		return lr
	}
	one := 1
	lr.TotalResults, lr.StartIndex = &total, &one
	return lr
}
