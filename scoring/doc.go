// Package scoring turns attack paths into priorities: a 0-100 risk per path,
// a priority per finding (findings on no attack path ranked after every
// finding on one), the prioritised risk queue, and the remediation plan — the
// cheapest set of findings whose fix cuts every path to the sensitive
// targets. docs/scoring.md gives the formulas and the reasoning.
package scoring
