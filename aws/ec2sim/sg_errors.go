package ec2sim

// EC2 error codes of the security group calls.
const (
	CodeInvalidGroupNotFound            = "InvalidGroup.NotFound"
	CodeInvalidGroupIDMalformed         = "InvalidGroupId.Malformed"
	CodeInvalidGroupDuplicate           = "InvalidGroup.Duplicate"
	CodeInvalidGroupReserved            = "InvalidGroup.Reserved"
	CodeInvalidVpcIDNotFound            = "InvalidVpcID.NotFound"
	CodeCannotDelete                    = "CannotDelete"
	CodeDependencyViolation             = "DependencyViolation"
	CodeInvalidPermissionDuplicate      = "InvalidPermission.Duplicate"
	CodeInvalidPermissionNotFound       = "InvalidPermission.NotFound"
	CodeInvalidPermissionMalformed      = "InvalidPermission.Malformed"
	CodeInvalidRuleIDNotFound           = "InvalidSecurityGroupRuleId.NotFound"
	CodeRulesPerSecurityGroupLimit      = "RulesPerSecurityGroupLimitExceeded"
	CodeSecurityGroupsPerInterfaceLimit = "SecurityGroupsPerInterfaceLimitExceeded"
)
