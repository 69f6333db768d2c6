package awsapi_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/smithy-go"
)

func TestSigV4(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const target = "SWBExternalService.ListInstances"

	// A correctly signed request passes (the baseline for the refusals).
	ok := e.raw(target, `{}`, rawOpts{})
	if ok.status != 200 || ok.body["Instances"] == nil {
		t.Fatalf("signed request: %d %v", ok.status, ok.body)
	}

	e.raw(target, `{}`, rawOpts{unsigned: true}).wantError(t, 403, "MissingAuthenticationTokenException")
	e.raw(target, `{}`, rawOpts{secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}).wantError(t, 403, "InvalidSignatureException")
	e.raw(target, `{}`, rawOpts{keyID: "AKIAIOSFODNN7EXAMPLE"}).wantError(t, 403, "UnrecognizedClientException")
	expired := e.raw(target, `{}`, rawOpts{at: time.Now().Add(-20 * time.Minute)})
	expired.wantError(t, 403, "InvalidSignatureException")
	if !strings.Contains(expired.body["message"].(string), "expired") {
		t.Fatalf("expired: %v", expired.body)
	}
	e.raw(target, `{}`, rawOpts{at: time.Now().Add(20 * time.Minute)}).wantError(t, 403, "InvalidSignatureException")
	scope := e.raw(target, `{}`, rawOpts{service: "identitystore"})
	scope.wantError(t, 403, "InvalidSignatureException")
	if !strings.Contains(scope.body["message"].(string), "'sso'") {
		t.Fatalf("wrong scope: %v", scope.body)
	}
	// The body changed after signing (same length, so only its hash differs).
	body := `{"InstanceArn":"arn:aws:sso:::instance/` + e.inst.InstanceID + `"}`
	e.raw("SWBExternalService.DescribeInstance", body, rawOpts{tamper: func(r *http.Request) {
		changed := strings.Replace(body, "arn:aws:", "arn:awz:", 1)
		r.Body = io.NopCloser(bytes.NewReader([]byte(changed)))
	}}).wantError(t, 403, "InvalidSignatureException")
	// The target changed after signing.
	e.raw(target, `{}`, rawOpts{tamper: func(r *http.Request) {
		r.Header.Set("X-Amz-Target", "SWBExternalService.ListPermissionSets")
	}}).wantError(t, 403, "InvalidSignatureException")
	// Errors in the API's own shape, with __type and x-amzn-ErrorType.
	e.raw("SWBExternalService.DescribePermissionSet", `{"InstanceArn":"arn:aws:sso:::instance/`+e.inst.InstanceID+
		`","PermissionSetArn":"arn:aws:sso:::permissionSet/`+e.inst.InstanceID+`/ps-0000000000000000"}`, rawOpts{}).
		wantError(t, 400, "ResourceNotFoundException")
	e.raw("SWBExternalService.CreatePermissionSet", `{"InstanceArn":"arn:aws:sso:::instance/`+e.inst.InstanceID+
		`","Name":"bad name"}`, rawOpts{}).wantError(t, 400, "ValidationException")
	e.raw("AWSIdentityStore.ListUsers", `{"IdentityStoreId":"`+e.inst.IdentityStoreID+`","MaxResults":0}`, rawOpts{}).
		wantError(t, 400, "ValidationException")
	e.raw("SWBExternalService.ListPermissionSets", `{"InstanceArn":"arn:aws:sso:::instance/`+e.inst.InstanceID+
		`","MaxResults":101}`, rawOpts{}).wantError(t, 400, "ValidationException")
	e.raw("SWBExternalService.CreatePermissionSet", `{"InstanceArn":"arn:aws:sso:::instance/`+e.inst.InstanceID+
		`","Name":"A","Bogus":1}`, rawOpts{}).wantError(t, 400, "SerializationException")

	// The same refusals as the SDK reports them.
	bad := ssoadmin.NewFromConfig(e.cfg(e.keyID, "not-the-secret"), func(o *ssoadmin.Options) { o.BaseEndpoint = aws.String(e.srv.URL) })
	_, err := bad.ListInstances(t.Context(), &ssoadmin.ListInstancesInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidSignatureException" {
		t.Fatalf("SDK with a wrong secret: %v", err)
	}
	unknown := ssoadmin.NewFromConfig(e.cfg("AKIAIOSFODNN7EXAMPLE", e.key), func(o *ssoadmin.Options) { o.BaseEndpoint = aws.String(e.srv.URL) })
	_, err = unknown.ListInstances(t.Context(), &ssoadmin.ListInstancesInput{})
	if !errors.As(err, &ae) || ae.ErrorCode() != "UnrecognizedClientException" {
		t.Fatalf("SDK with an unknown key: %v", err)
	}
}
