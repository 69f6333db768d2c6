package samlidp

// ForgetApp drops what the IdP holds in memory about the app (its cached
// configuration and certificates, cache.go) after a change made elsewhere
// than through the IdP, such as the app's deletion from the directory, so
// that on this node the app stops signing people in at once rather than
// within appCacheTTL.
func (p *IdP) ForgetApp(appID string) { p.forget(appID) }
