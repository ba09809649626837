package aws

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/yairfalse/ovi/reconcile"
)

// Error codes the provider reads or produces.
const (
	CodeNotFound   = "InvalidInstanceID.NotFound"
	CodeThrottled  = "RequestLimitExceeded"
	CodeIdempotent = "IdempotentParameterMismatch"
	// CodeBlessed is the code of the ProviderError for an instance that
	// carries ovi:blessed=true at the re-check before a delete or a
	// resize; EC2 itself never returns it.
	CodeBlessed = "OviBlessed"
	// CodeInvalidRequest is the code of the ProviderError for a request
	// the provider refuses before calling EC2 (bad tags, bad token, ...).
	CodeInvalidRequest = "OviInvalidRequest"
)

// terminalCodes are EC2 error codes that no retry can fix: permissions,
// authentication, malformed or contradictory parameters, missing images,
// quotas. Anything else (throttling, capacity, eventual consistency,
// server errors) is retryable.
func terminalCode(code string) bool {
	switch code {
	case "AccessDenied", "UnauthorizedOperation", "AuthFailure", "Blocked", "OptOutRequired",
		"InvalidClientTokenId", "SignatureDoesNotMatch", "PendingVerification",
		"InvalidParameterValue", "InvalidParameterCombination", "InvalidParameter", "MissingParameter",
		"UnknownParameter", "InvalidInstanceID.Malformed", "UnsupportedOperation", "InvalidInstanceType",
		CodeIdempotent, "InstanceLimitExceeded", "VcpuLimitExceeded", "InvalidSubnetID.NotFound",
		"InvalidGroup.NotFound", "InvalidSecurityGroupID.NotFound", "OperationNotPermitted",
		CodeBlessed, CodeInvalidRequest,
		"VolumeModificationRateExceeded", "InvalidVolume.ZoneMismatch", "InvalidVolumeID.Malformed":
		return true
	}
	return strings.HasPrefix(code, "InvalidAMIID.")
}

// providerError maps an EC2 API error to *reconcile.ProviderError, keeping
// the AWS error code. Errors without a code (network, context) are
// returned unchanged.
func providerError(err error) error {
	if err == nil {
		return nil
	}
	var pe *reconcile.ProviderError
	if errors.As(err, &pe) {
		return pe
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		return err
	}
	return &reconcile.ProviderError{
		Code:     api.ErrorCode(),
		Message:  oneLine(api.ErrorMessage()),
		Terminal: terminalCode(api.ErrorCode()),
	}
}

// wrap gives an EC2 error the provider's context: "aws: <op>: CODE: msg".
// The *reconcile.ProviderError stays reachable with errors.As.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("aws: %s: %w", op, providerError(err))
}

// errorCode returns the EC2 error code carried by err, or "".
func errorCode(err error) string {
	var pe *reconcile.ProviderError
	if errors.As(err, &pe) {
		return pe.Code
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// invalid is a terminal error for a request refused before calling EC2.
func invalid(format string, args ...any) error {
	return &reconcile.ProviderError{Code: CodeInvalidRequest, Message: fmt.Sprintf(format, args...), Terminal: true}
}

// oneLine folds a multi-line message onto one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
