namespace VirtualIoT;

/// <summary>oneM2M Response Status Codes (TS-0004 6.6.3). The numeric value is what goes on the wire as <c>rsc</c>.</summary>
[GenerateSerializer]
public enum ResponseStatusCode
{
    /// <summary>Request accepted for later processing.</summary>
    Accepted = 1000,
    /// <summary>Accepted as a non-blocking synchronous request.</summary>
    AcceptedNonBlockingSynch = 1001,
    /// <summary>Accepted as a non-blocking asynchronous request.</summary>
    AcceptedNonBlockingAsynch = 1002,
    /// <summary>Retrieve, discovery or notify succeeded.</summary>
    Ok = 2000,
    /// <summary>A resource was created.</summary>
    Created = 2001,
    /// <summary>A resource was deleted.</summary>
    Deleted = 2002,
    /// <summary>A resource was updated.</summary>
    Updated = 2004,
    /// <summary>Malformed request, missing, not permitted or unknown attribute, bad value.</summary>
    BadRequest = 4000,
    /// <summary>The release version indicator names a release this CSE does not support.</summary>
    ReleaseVersionNotSupported = 4001,
    /// <summary>The target does not exist.</summary>
    NotFound = 4004,
    /// <summary>The operation is not allowed on the target.</summary>
    OperationNotAllowed = 4005,
    /// <summary>The request expiration timestamp has passed.</summary>
    RequestTimeout = 4008,
    /// <summary>The body's serialization is not supported.</summary>
    UnsupportedMediaType = 4015,
    /// <summary>The subscription creator has no privilege (answer to a verification request).</summary>
    SubscriptionCreatorHasNoPrivilege = 4101,
    /// <summary>The content cannot be accepted (for example contradictory filter criteria).</summary>
    ContentsUnacceptable = 4102,
    /// <summary>Access control denied the originator.</summary>
    OriginatorHasNoPrivilege = 4103,
    /// <summary>The group request identifier already exists.</summary>
    GroupRequestIdentifierExists = 4104,
    /// <summary>A sibling with the same resource name exists.</summary>
    Conflict = 4105,
    /// <summary>The originator is not authenticated (not registered).</summary>
    OriginatorNotAuthenticated = 4106,
    /// <summary>A security association is required (CSE-ID as originator).</summary>
    SecurityAssociationRequired = 4107,
    /// <summary>The child resource type is not allowed under the target.</summary>
    InvalidChildResourceType = 4108,
    /// <summary>The group has no members.</summary>
    NoMembers = 4109,
    /// <summary>Group member types are inconsistent.</summary>
    GroupMemberTypeInconsistent = 4110,
    /// <summary>The AE-ID is already registered.</summary>
    OriginatorHasAlreadyRegistered = 4117,
    /// <summary>A blocking-update subscription already exists.</summary>
    BlockingSubscriptionAlreadyExists = 4124,
    /// <summary>The AE-ID or App-ID was refused by policy.</summary>
    AppRuleValidationFailed = 4126,
    /// <summary>The operation was denied by a remote entity.</summary>
    OperationDeniedByRemoteEntity = 4127,
    /// <summary>Unexpected failure inside the CSE.</summary>
    InternalServerError = 5000,
    /// <summary>The parameter, attribute or type is not supported.</summary>
    NotImplemented = 5001,
    /// <summary>The target could not be reached.</summary>
    TargetNotReachable = 5103,
    /// <summary>The receiver has no privilege.</summary>
    ReceiverHasNoPrivilege = 5105,
    /// <summary>The resource already exists.</summary>
    AlreadyExists = 5106,
    /// <summary>A remote entity could not be reached.</summary>
    RemoteEntityNotReachable = 5107,
    /// <summary>The target cannot be subscribed to.</summary>
    TargetNotSubscribable = 5203,
    /// <summary>Subscription verification failed.</summary>
    SubscriptionVerificationInitiationFailed = 5204,
    /// <summary>The subscription host has no privilege.</summary>
    SubscriptionHostHasNoPrivilege = 5205,
    /// <summary>Non-blocking synchronous requests are not supported.</summary>
    NonBlockingSynchRequestNotSupported = 5206,
    /// <summary>Not acceptable: unsupported Accept, or a content instance larger than the container's mbs.</summary>
    NotAcceptable = 5207,
    /// <summary>A cross-resource operation failed: a crossResourceSubscription could not subscribe to one of its targets.</summary>
    CrossResourceOperationFailure = 5221,
    /// <summary>The maximum number of group members was exceeded.</summary>
    MaxNumberOfMemberExceeded = 6010,
}
