// Package expr implements the attribute-mapping expression language of
// Microsoft Entra ID application provisioning: the VBA-like formulas such as
//
//	Join(" ", [givenName], [surname])
//	Switch([IsSoftDeleted], , "False", "True", "True", "False")
//
// that Entra's provisioning service evaluates to compute a target (SCIM)
// attribute from the attributes of a source directory object.
//
// Gatehouse re-implements the Entra side of provisioning, so tenants'
// existing mappings must mean here what they mean in Entra. The semantics
// therefore follow Microsoft's "Reference for writing expressions for
// attribute mappings in Microsoft Entra Application Provisioning"
// (learn.microsoft.com/en-us/entra/identity/app-provisioning/functions-for-customizing-application-data)
// and "Customize user provisioning attribute-mappings" for the app-role
// functions; see also §2 of the project's Entra provisioning research notes.
// Where Microsoft is silent, the choice made is documented beside the
// function's implementation and kept deliberately simple.
//
// # Syntax
//
// An expression is a function call, an attribute reference [name], a string
// literal "text" (with \" and \\ as the only escapes), a whole number (42,
// -10, or VBA hexadecimal &HF7), one of the InStr constants vbBinaryCompare
// and vbTextCompare, or a comparison a = b, a <> b, a < b, a <= b, a > b,
// a >= b as used in IIF and CBool conditions. Arguments may be left out, as
// in FormatDateTime([x], , "yyyyMMdd", "yyyy-MM-dd"). Booleans are the
// strings "True" and "False"; there are no boolean keywords.
//
// Microsoft requires an Expression mapping to be a function call; Parse also
// accepts a bare attribute or literal so that Direct and Constant mappings can
// be held as expressions too. Function names are matched case-insensitively,
// which is more lenient than Entra. Sources are limited to MaxSourceLen bytes
// and MaxDepth nested calls (Entra's own limit is 10,000 characters).
// Function names and argument counts, and literal arguments where they can be
// checked early (regular expressions, date intervals, cultures, formats), are
// checked by Parse, which reports a *SyntaxError with the 1-based character
// position of the problem.
//
// # Values
//
// Evaluation produces a Value: null (the attribute is absent), a string, or a
// list of strings for multi-valued attributes such as proxyAddresses. Numbers,
// booleans and dates are strings, as in Entra: dates travel in Entra's
// "M/d/yyyy h:mm:ss tt" UTC form. Lists are accepted by the functions meant
// for multi-valued attributes (Join, Count, Item, RemoveDuplicates, the
// app-role functions) and by those that only test a value or pass it on
// (Coalesce, IsPresent, Redact …); the others refuse them with an error
// rather than guess which element was meant.
//
// The caller decides what null means at the target (normally: remove the
// attribute). IgnoreFlowIfNullOrEmpty instead makes Eval return
// ErrIgnoreFlow, meaning "leave the target attribute out of this flow
// altogether".
//
// Evaluation refuses to build a value larger than MaxValueLen bytes, so that
// nested Replace or Join calls cannot grow a string without bound.
//
// The clock, the randomness behind Guid and RandomString, and the uniqueness
// check behind SelectUniqueValue come from Options, so that evaluation is
// deterministic under test.
package expr
