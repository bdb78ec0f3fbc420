// Package loggen writes realistic synthetic event logs (format version 1) for tests,
// benchmarks and demonstrations: humans who load the tracking pixel, robots who never do,
// visitors who act before their first pixel, a checkout funnel with revenue, split tests
// whose populations convert differently, several sites and browsers over several days.
//
// Invariants: the output is a pure function of Options (same options, same bytes, on any
// machine); records are written in timestamp order, each into the hourly file of its
// timestamp, so the log looks as if the hourly writer had written it live.
package loggen
