package web

import (
	"bytes"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestReadFormBothEncodingsWithinTheLimit(t *testing.T) {
	// URL-encoded.
	r := httptest.NewRequest("POST", "/", strings.NewReader("a=1&b=2"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := ReadForm(httptest.NewRecorder(), r, 1<<10); err != nil || r.PostFormValue("b") != "2" {
		t.Fatalf("urlencoded: %v, b=%q", err, r.PostFormValue("b"))
	}
	// Multipart, with a file Upload then reads.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("a", "1")
	fw, _ := mw.CreateFormFile("doc", "doc.xml")
	fw.Write([]byte("<x/>"))
	mw.Close()
	r = httptest.NewRequest("POST", "/", bytes.NewReader(body.Bytes()))
	r.Header.Set("Content-Type", mw.FormDataContentType())
	if err := ReadForm(httptest.NewRecorder(), r, 1<<10); err != nil || r.PostFormValue("a") != "1" {
		t.Fatalf("multipart: %v, a=%q", err, r.PostFormValue("a"))
	}
	if b, err := Upload(r, "doc", "text", 1<<10); err != nil || string(b) != "<x/>" {
		t.Fatalf("upload after ReadForm: %q, %v", b, err)
	}
	// Over the limit: an error, for the caller's 400.
	r = httptest.NewRequest("POST", "/", strings.NewReader("a="+strings.Repeat("x", 2<<10)))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := ReadForm(httptest.NewRecorder(), r, 1<<10); err == nil {
		t.Fatal("a form over the limit was read")
	}
}
