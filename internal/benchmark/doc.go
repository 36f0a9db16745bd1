// Package benchmark holds the pieces of protector-bench (cmd/protector-bench):
// the Terraform configurations of a scenario and of its two baselines
// (terraform_data, and cmd/terraform-provider-benchnull, a framework
// provider with no API), the grouping of the simulator's recorded requests
// by endpoint, the peak-memory watch of the provider process and the report.
//
// It measures; it asserts nothing about durations. Like the simulator, it
// is a test instrument and is imported by no part of the provider.
package benchmark
