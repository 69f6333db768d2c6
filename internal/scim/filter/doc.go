// Package filter parses SCIM 2.0 filter expressions and PATCH paths into
// small syntax trees. It does no I/O and knows no schema: deciding whether
// an attribute exists, what type it has and how to compare it belongs to
// the caller, which can then answer with the right SCIM error
// ("invalidFilter" or "invalidPath", RFC 7644 §3.12).
//
// Parse accepts the filter grammar of RFC 7644 §3.4.2.2 (Figure 1):
// attribute paths with an optional schema URN prefix and one
// sub-attribute, the comparison operators eq, ne, co, sw, ew, gt, lt, ge
// and le, the presence test pr, "and" binding tighter than "or", "not (…)",
// parentheses, value filters such as emails[type eq "work"], and values
// that are JSON strings, numbers, true, false or null. Operators and
// keywords are case-insensitive, as §3.4.2.2 requires; attribute names are
// returned as written, because schema matching is the caller's job and is
// case-insensitive too (RFC 7643 §2.1).
//
// ParsePath accepts the "path" of a PATCH operation (RFC 7644 §3.5.2):
//
//	PATH = attrPath / valuePath [subAttr]
//
// such as members, name.familyName, emails[type eq "work"].value or
// urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value.
//
// Two deliberate departures from the letter of Figure 1 come from real
// clients:
//
//   - Whitespace between tokens is flexible: any run of spaces, tabs or
//     line breaks separates tokens, and "not" may be followed by a space
//     before "(" as in the RFC's own example (see RFC 7644 erratum 7319).
//   - Microsoft Entra ID sends filters like
//     emails[type eq "work"].value eq "user@contoso.com", a sub-attribute
//     after a value filter, which Figure 1 lacks. Such a filter is parsed
//     as its equivalent emails[type eq "work" and value eq
//     "user@contoso.com"], so evaluators handle a single form.
//
// Errors are *SyntaxError values that name a byte position and say what
// was expected, because their text ends up in the "detail" of a SCIM
// error that an identity administrator reads. Inputs longer than
// MaxLength bytes or nested deeper than MaxDepth levels are rejected, so
// hostile input cannot make the parser use unbounded time or stack.
package filter
