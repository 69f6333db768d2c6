// Package apiauth authenticates callers of the governance APIs (PIM for
// Groups, access reviews): an admin with a Graph API bearer token, or a
// user signed in at the directory (the session cookie), whose writes must be
// JSON so that cross-site forms cannot forge them.
package apiauth
