// Package due runs work when it falls due, for the governance schedulers
// (PIM for Groups: grants that end, requests whose approval window closes;
// access reviews: instances that start, remind and end): Loop ticks at
// once, then at the earliest due instant the store reports, and at once
// again when its Service signals a change (Signal), so an expiry is acted
// on to the second rather than on a polling interval.
package due
