package wal

// ObservedChange says why an observation was recorded. Observations are
// recorded on change only, so an idle fleet does not grow the log.
type ObservedChange uint8

// Observation changes.
const (
	ChangeNew     ObservedChange = 1 // first seen
	ChangeUpdated ObservedChange = 2 // attributes differ from the last record
	ChangeGone    ObservedChange = 3 // no longer in the cloud (or terminated)
)

// Observed is the payload of KindObserved: the resource as seen in the cloud.
type Observed struct {
	Change   ObservedChange `json:"change"`
	Resource Resource       `json:"resource"`
}

// Tags Ovi reads and writes on cloud resources.
const (
	TagBlessed  = "ovi:blessed"  // "true": never deleted or stopped
	TagManaged  = "ovi:managed"  // "true": launched by Ovi
	TagGroup    = "ovi:group"    // the resource group name
	TagDecision = "ovi:decision" // the decision that launched it
)

// Action is what a decision does.
type Action uint8

// Actions. Refuse, Hold and Report are decisions not to act, with a reason.
const (
	ActionCreate     Action = 1  // launch Count instances of a group
	ActionDelete     Action = 2  // terminate one resource
	ActionUpdateTags Action = 3  // set and/or remove tags
	ActionResize     Action = 4  // stop, change the instance type, start
	ActionRefuse     Action = 5  // protected (blessed) or disallowed by policy
	ActionHold       Action = 6  // deferred: deletion cap, eventual-consistency re-check
	ActionReport     Action = 7  // unmanaged: reported, never touched
	ActionAuthorize  Action = 8  // add one security group rule
	ActionRevoke     Action = 9  // remove one security group rule
	ActionStart      Action = 10 // start stopped instances (their desired state is running)
	ActionModify     Action = 11 // change a volume's size, type, IOPS or throughput in place
	ActionAttach     Action = 12 // attach a volume to an instance
	ActionDetach     Action = 13 // detach a volume from its instance
	ActionAdopt      Action = 14 // write Ovi's management tags on an unmanaged resource (ovi adopt; format 5)
	ActionProtect    Action = 15 // set an instance's native guard (EC2 DisableApiTermination); format 5

	lastAction = ActionProtect
)

// Drift classifies a resource against the desired configuration.
type Drift uint8

// Drift kinds.
const (
	DriftInSync    Drift = 1
	DriftMissing   Drift = 2 // desired, absent → create
	DriftUnwanted  Drift = 3 // managed, no longer desired → delete if allowed
	DriftDrifted   Drift = 4 // exists, an attribute differs (size, tags, run state) → update
	DriftUnmanaged Drift = 5 // not Ovi's → report only
)

// Decided is the payload of KindDecided.
type Decided struct {
	Action Action `json:"action"`
	Drift  Drift  `json:"drift"`
	// ResourceKind is the kind of resource the decision is about. Size,
	// ImageID and Count are the instance kind's launch and resize
	// parameters; other kinds add their own typed payload below.
	ResourceKind ResourceKind      `json:"resource_kind"`
	Reason       string            `json:"reason"` // human-readable: "Delete: Not in desired configuration"
	DryRun       bool              `json:"dry_run"`
	Group        string            `json:"group,omitempty"`
	Count        int               `json:"count,omitempty"` // instances to create
	Size         string            `json:"size,omitempty"`
	ImageID      string            `json:"image_id,omitempty"` // the image used, resolved if defaulted
	SetTags      map[string]string `json:"set_tags,omitempty"`
	RemoveTags   []string          `json:"remove_tags,omitempty"`
	// Rule is the rule an authorize or revoke decision adds or removes.
	Rule *RuleChange `json:"rule,omitempty"`
	// Adoptable is, on the report of an unmanaged resource, the desired
	// unit (group or named resource) it matches and has room in: `ovi
	// adopt ID --into Adoptable` would adopt it. A hint, not part of what
	// the decision does: format 5 records it, older formats leave it out.
	Adoptable string `json:"adoptable,omitempty"`
	// Volume is the typed target of a volume create, modify, attach or
	// detach (format 6; older formats carry its text form in Size, see
	// VolumeTarget and Target).
	Volume *VolumeTarget `json:"volume,omitempty"`
}

// Executing is the payload of KindExecuting: the intent, committed before
// the provider is called.
type Executing struct {
	Action      Action `json:"action"`
	Description string `json:"description"` // "Starting deletion"
	ClientToken string `json:"client_token,omitempty"`
	Attempt     int    `json:"attempt"`
}

// Executed is the payload of KindExecuted.
type Executed struct {
	Action      Action   `json:"action"`
	Message     string   `json:"message"`                // "Successfully deleted"
	ResourceIDs []string `json:"resource_ids,omitempty"` // e.g. launched instance ids
	Recovered   bool     `json:"recovered,omitempty"`    // resolved by a new leader after failover
}

// Failed is the payload of KindFailed.
type Failed struct {
	Action    Action `json:"action"`
	Code      string `json:"code"` // the provider's error code, e.g. RequestLimitExceeded
	Message   string `json:"message"`
	Retryable bool   `json:"retryable"`
}

// ConfigApplied is the payload of KindConfigApplied.
type ConfigApplied struct {
	Source string `json:"source"` // file path it was read from
	Digest string `json:"digest"` // hex SHA-256 of the source bytes
	Config Config `json:"config"`
}

// Config is the desired configuration (infrastructure.yaml v1), typed.
type Config struct {
	Version  string  `json:"version"`
	Provider string  `json:"provider"`
	Region   string  `json:"region"`
	Endpoint string  `json:"endpoint,omitempty"`
	Policy   Policy  `json:"policy"`
	Groups   []Group `json:"groups"` // count groups of identical instances
	// Resources are the named resources of the other kinds, in file order.
	Resources []Spec `json:"resources,omitempty"`
}

// Policy controls destructive behaviour.
type Policy struct {
	DeleteUnwanted  bool `json:"delete_unwanted"`
	MaxDeletions    int  `json:"max_deletions"`
	AllowDisruptive bool `json:"allow_disruptive"`
}

// Group is one resource group of the desired configuration.
type Group struct {
	Name           string            `json:"name"`
	Type           string            `json:"type"`
	Count          int               `json:"count"`
	Size           string            `json:"size"`
	Image          string            `json:"image,omitempty"`
	SubnetID       string            `json:"subnet_id,omitempty"`
	SecurityGroups []string          `json:"security_groups,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
	// Unnamed: the file gave no name; Name is derived (see
	// reconcile.DefaultGroupName) or kept from the group it was matched
	// to when the file changed. Format 1 did not record it.
	Unnamed bool `json:"unnamed,omitempty"`
}

// CycleSummary is the payload of KindCycleSummary.
type CycleSummary struct {
	DryRun     bool  `json:"dry_run"`
	Observed   int   `json:"observed"`
	InSync     int   `json:"in_sync"`
	Missing    int   `json:"missing"`
	Unwanted   int   `json:"unwanted"`
	Drifted    int   `json:"drifted"`
	Unmanaged  int   `json:"unmanaged"`
	Actions    int   `json:"actions"`
	Failures   int   `json:"failures"`
	DurationMS int64 `json:"duration_ms"`
	// Inputs are what Decide read beyond the store (format 3; nil in
	// older records and in cycles that did not decide).
	Inputs *DecideInputs `json:"inputs,omitempty"`
	// Budget is the cycle's EC2 API budget, predicted and counted
	// (format 5; nil in older records).
	Budget *APIBudget `json:"budget,omitempty"`
}

// Compaction is the payload of KindCompaction: key history below Revision
// is dropped (reads at older revisions fail), and, from format 5, audit
// records below Audit (0: the audit log is kept whole). Policy says what
// chose the revisions ("keep 30d", "retention history=30d audit=365d").
type Compaction struct {
	Revision uint64 `json:"revision"`         // key history older than this is dropped
	Audit    uint64 `json:"audit,omitempty"`  // audit records older than this are dropped (format 5)
	Policy   string `json:"policy,omitempty"` // what chose the revisions (format 5)
}

// Note is the payload of KindNote.
type Note struct {
	Text string `json:"text"`
}

// Restore is the payload of KindRestore: the store was rewound to a
// snapshot. The leader appends it after the restore, so it survives the
// rewind it records.
type Restore struct {
	Snapshot     string `json:"snapshot"`      // hex SHA-256 of the snapshot restored
	FromRevision uint64 `json:"from_revision"` // the applied revision before the restore
	ToRevision   uint64 `json:"to_revision"`   // the snapshot's revision, the store's after it
	Dropped      uint64 `json:"dropped"`       // audit records the rewind dropped
	Scope        string `json:"scope"`         // the token scope of the request ("write", or "open" without ACL)
	Via          string `json:"via,omitempty"` // the node that took the request, when forwarded
}

// Leadership is the payload of KindLeadership: the node in the header
// established leadership of the header's term (after its barrier).
type Leadership struct {
	Leader   string `json:"leader"`
	Previous string `json:"previous,omitempty"` // the leader this node knew before, if any
	Reason   string `json:"reason,omitempty"`   // why leadership changed, when known
}
