// Package labs is the lab corpus: public vulnerable-by-design AWS labs
// (CloudGoat, flaws.cloud, flaws2.cloud, IAM Vulnerable, AWSGoat, Sadcloud)
// rebuilt in moto from their published descriptions, each asserting that
// breachpath finds the documented route from the attacker's first foothold
// to the lab's objective hop by hop, and that one change to the estate makes
// the route disappear. The scenarios are in labs_test.go and run with the
// rest of the suite (scripts/test.sh starts moto); docs/labs.md lists them.
//
// Each scenario is seeded through the AWS SDK into a moto account of its own
// (moto serves an assumed role's calls from the role's account), collected
// with the real collector and transform, and searched with the real path
// engine from the foothold. Nothing is shared between scenarios, so they run
// in parallel against one moto server and never reset it.
package labs
