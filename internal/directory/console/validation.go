package console

import (
	"errors"

	"github.com/gatehouse-id/gatehouse/internal/directory"
	"github.com/gatehouse-id/gatehouse/internal/web"
)

// fromValidation turns the *directory.AttrError values joined in err (from
// directory.ValidateUser or ValidateGroup) into field messages; fields maps
// a Graph attribute name to the form field's name. Attributes without a
// field go under "" (shown at the top of the form).
func fromValidation(err error, fields map[string]string) web.Errors {
	out := web.Errors{}
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var ae *directory.AttrError
		if errors.As(err, &ae) {
			f, ok := fields[ae.Attr]
			if !ok {
				f = ""
			}
			out.Add(f, web.Sentence(ae.Reason))
			return
		}
		out.Add("", err.Error())
	}
	walk(err)
	return out
}
