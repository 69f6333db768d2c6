package web

import (
	"bytes"
	"io"
	"net/http"
	"strings"
)

// ReadForm parses a posted form of at most limit bytes, URL-encoded or
// multipart: a form with a file (Upload) is multipart, which
// http.Request.ParseForm leaves unread. Both consoles read their writes
// with it.
func ReadForm(w http.ResponseWriter, r *http.Request, limit int64) error {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return r.ParseMultipartForm(limit)
	}
	return r.ParseForm()
}

// Upload is a document a form lets an admin upload or paste, such as SAML
// metadata: the content of the file field when a file was chosen and is
// not blank, otherwise the text field's. At most limit bytes of the file
// are read. The form must have been parsed (http.Request.ParseMultipartForm
// for a file); an empty result means neither was given.
func Upload(r *http.Request, file, text string, limit int64) ([]byte, error) {
	var b []byte
	if f, _, err := r.FormFile(file); err == nil {
		b, err = io.ReadAll(io.LimitReader(f, limit))
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	if len(bytes.TrimSpace(b)) == 0 {
		b = bytes.TrimSpace([]byte(r.PostFormValue(text)))
	}
	return bytes.TrimSpace(b), nil
}
