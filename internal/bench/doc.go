// Package bench measures Gatehouse over real HTTP on loopback, the way a
// client sees it, for `gatehouse bench ...`. Figures go to
// docs/benchmarks.md together with the command that produced them; tests never
// assert on timings.
package bench
