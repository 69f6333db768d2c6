package web

import (
	"bytes"
	"io"
	"net/http"
)

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
