package awsapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// MaxClockSkew is how far a request's X-Amz-Date may be from the server's
// clock, as AWS allows.
const MaxClockSkew = 15 * time.Minute

// sigv4 is a parsed Authorization header.
type sigv4 struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
}

// parseAuthorization reads
// "AWS4-HMAC-SHA256 Credential=AKID/20261122/us-east-1/sso/aws4_request,
// SignedHeaders=a;b;c, Signature=hex".
func parseAuthorization(h string) (*sigv4, error) {
	rest, ok := strings.CutPrefix(h, "AWS4-HMAC-SHA256 ")
	if !ok {
		return nil, fmt.Errorf("authorization header is not AWS4-HMAC-SHA256")
	}
	s := &sigv4{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("malformed authorization header")
		}
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 || f[4] != "aws4_request" {
				return nil, fmt.Errorf("malformed credential scope")
			}
			s.accessKey, s.date, s.region, s.service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			s.signedHeaders = strings.Split(v, ";")
		case "Signature":
			s.signature = v
		}
	}
	if s.accessKey == "" || len(s.signedHeaders) == 0 || len(s.signature) != 64 {
		return nil, fmt.Errorf("incomplete authorization header")
	}
	return s, nil
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// canonicalURI encodes each path segment as SigV4 requires (everything but
// unreserved characters, once).
func canonicalURI(p string) string {
	if p == "" {
		return "/"
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(url.PathEscape(s), "+", "%2B")
	}
	return strings.Join(segs, "/")
}

func canonicalQuery(q url.Values) string {
	var parts []string
	for k, vs := range q {
		for _, v := range vs {
			parts = append(parts, awsEscape(k)+"="+awsEscape(v))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, "&")
}

func awsEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// expectedSignature computes the signature of r (with body) under the
// secret, for the headers and scope the client named.
func (s *sigv4) expectedSignature(r *http.Request, body []byte, secret, amzDate string) string {
	var ch strings.Builder
	for _, name := range s.signedHeaders {
		var v string
		switch name {
		case "host":
			v = r.Host
		case "content-length":
			v = fmt.Sprint(len(body))
		default:
			vals := r.Header.Values(name)
			for i := range vals {
				vals[i] = strings.Join(strings.Fields(vals[i]), " ")
			}
			v = strings.Join(vals, ",")
		}
		ch.WriteString(name + ":" + strings.TrimSpace(v) + "\n")
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		payload = sha256Hex(body)
	}
	canonical := strings.Join([]string{r.Method, canonicalURI(r.URL.EscapedPath()), canonicalQuery(r.URL.Query()),
		ch.String(), strings.Join(s.signedHeaders, ";"), payload}, "\n")
	scope := s.date + "/" + s.region + "/" + s.service + "/aws4_request"
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + sha256Hex([]byte(canonical))
	k := hmacSHA256([]byte("AWS4"+secret), s.date)
	k = hmacSHA256(k, s.region)
	k = hmacSHA256(k, s.service)
	k = hmacSHA256(k, "aws4_request")
	return hex.EncodeToString(hmacSHA256(k, toSign))
}

// checkSigned verifies the structure a valid request must have before the
// signature is computed: host, x-amz-date (or date) and x-amz-target signed,
// the date within MaxClockSkew and consistent with the scope.
func (s *sigv4) checkSigned(r *http.Request, now time.Time) (string, error) {
	signed := map[string]bool{}
	for i, h := range s.signedHeaders {
		if h != strings.ToLower(h) || (i > 0 && s.signedHeaders[i-1] >= h) {
			return "", fmt.Errorf("signed headers must be lower case and sorted")
		}
		signed[h] = true
	}
	for _, h := range []string{"host", "x-amz-target"} {
		if !signed[h] {
			return "", fmt.Errorf("the %s header must be signed", h)
		}
	}
	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" || !signed["x-amz-date"] {
		return "", fmt.Errorf("the x-amz-date header must be present and signed")
	}
	t, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil {
		return "", fmt.Errorf("x-amz-date is not in the form 20060102T150405Z")
	}
	if d := now.Sub(t); d > MaxClockSkew || d < -MaxClockSkew {
		return "", errExpired
	}
	if !strings.HasPrefix(amzDate, s.date) {
		return "", fmt.Errorf("the credential scope date does not match x-amz-date")
	}
	return amzDate, nil
}
