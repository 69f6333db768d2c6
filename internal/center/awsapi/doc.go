// Package awsapi serves the center's AWS-compatible admin API, so that the
// AWS CLI, the SDKs and infrastructure-as-code drive Gatehouse by pointing
// their endpoint at it.
//
// The protocol is AWS JSON 1.1 (POST / with X-Amz-Target): the
// "AWSIdentityStore" operations of identitystore (SigV4 signing name
// "identitystore") and the "SWBExternalService" operations of sso-admin
// (signing name "sso"), with AWS's request validation, NextToken/MaxResults
// pagination and errors ({"__type", "message"} with x-amzn-ErrorType), as
// described in shared/reference/aws-identity-center.md §2 and captured from
// real clients in shared/reference/real-clients.md §3.
//
// Requests are authenticated with Signature Version 4
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html):
// the canonical request is rebuilt from exactly the headers the client says
// it signed, which differ between the CLI and the SDKs.
package awsapi
