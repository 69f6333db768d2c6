// Package signintest drives the directory's sign-in and the pages behind
// it over real HTTP, as a browser would, for the tests of the packages that
// serve such pages (the console, My access): a cookie jar, no automatic
// redirects (tests check each 303), the password form, CSRF tokens read
// from the page.
package signintest
