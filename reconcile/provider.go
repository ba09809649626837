package reconcile

import (
	"context"

	"github.com/yairfalse/ovi/wal"
)

// Provider is what the reconciler needs from a cloud. The aws package
// implements it for EC2. Every method observes or acts on the real cloud
// and must honour ctx cancellation.
type Provider interface {
	// Observe returns every live resource in the region, managed or not.
	// Terminated resources are left out.
	Observe(ctx context.Context) ([]wal.Resource, error)
	// FindByDecision returns the resources tagged ovi:decision=decisionID,
	// so a new leader can see what an interrupted launch already did.
	FindByDecision(ctx context.Context, decisionID string) ([]wal.Resource, error)
	// Create launches req.Count identical instances in one call, with
	// req.ClientToken for idempotency. It may launch fewer than asked.
	Create(ctx context.Context, req CreateRequest) (CreateResult, error)
	// Delete terminates the given ids (batched), re-checking just before
	// that none is blessed. The result has one outcome per id.
	Delete(ctx context.Context, ids []string) ([]Outcome, error)
	// UpdateTags sets and removes tags on the given ids (batched). It never
	// removes ovi:blessed.
	UpdateTags(ctx context.Context, req TagRequest) ([]Outcome, error)
	// Resize stops the instance, changes its type and starts it again.
	Resize(ctx context.Context, id, size string) error
	// DefaultImage resolves the image used when a group names none.
	DefaultImage(ctx context.Context) (string, error)
}

// CreateRequest asks for Count identical instances.
type CreateRequest struct {
	Group          string
	Count          int
	Size           string
	ImageID        string
	SubnetID       string
	SecurityGroups []string
	Tags           map[string]string // desired tags plus Ovi's management tags
	DecisionID     string            // also written as the ovi:decision tag
	ClientToken    string            // ≤ 64 ASCII characters, derived from DecisionID
}

// CreateResult lists what was launched; len(IDs) may be below Count.
type CreateResult struct {
	IDs []string
}

// TagRequest sets and removes the same tags on several resources.
type TagRequest struct {
	IDs    []string
	Set    map[string]string
	Remove []string
}

// Outcome is the per-resource result of a batched call. Err is nil on
// success; otherwise it is a *ProviderError where the cloud gave a code.
type Outcome struct {
	ID  string
	Err error
}

// ProviderError is a cloud error with its code (e.g. RequestLimitExceeded,
// UnauthorizedOperation). Terminal errors are not retried.
type ProviderError struct {
	Code     string
	Message  string
	Terminal bool
}

// Error implements error.
func (e *ProviderError) Error() string { return e.Code + ": " + e.Message }
