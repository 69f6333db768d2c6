package samlsp_test

import (
	"bytes"
	"compress/flate"
	"io"
)

func flateReader(b []byte) io.Reader { return flate.NewReader(bytes.NewReader(b)) }
