using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Resources.MgmtObj;
using VirtualIoT.Grains.Resources.Subscription;

namespace VirtualIoT.Tests.Domain;

public sealed class ResourceTypeRegistryTests
{
    public static TheoryData<ResourceType, ResourceType[]> Children => new()
    {
        { ResourceType.CSEBase, [ResourceType.AccessControlPolicy, ResourceType.AE, ResourceType.Container, ResourceType.Group, ResourceType.Node, ResourceType.Request, ResourceType.Subscription, ResourceType.NotificationTargetPolicy, ResourceType.FlexContainer, ResourceType.TimeSeries, ResourceType.Schedule, ResourceType.LocationPolicy, ResourceType.TimeSyncBeacon, ResourceType.CrossResourceSubscription, ResourceType.RemoteCSE, ResourceType.DynamicAuthorizationConsultation, ResourceType.SemanticDescriptor, ResourceType.Action, ResourceType.AEContactList] },
        { ResourceType.AE, [ResourceType.AccessControlPolicy, ResourceType.Container, ResourceType.Group, ResourceType.PollingChannel, ResourceType.Subscription, ResourceType.FlexContainer, ResourceType.TimeSeries, ResourceType.Schedule, ResourceType.LocationPolicy, ResourceType.TimeSyncBeacon, ResourceType.CrossResourceSubscription, ResourceType.DynamicAuthorizationConsultation, ResourceType.SemanticDescriptor, ResourceType.Action] },
        { ResourceType.Container, [ResourceType.Container, ResourceType.ContentInstance, ResourceType.Subscription, ResourceType.FlexContainer, ResourceType.TimeSeries, ResourceType.SemanticDescriptor] },
        { ResourceType.ContentInstance, [] },
        { ResourceType.Subscription, [ResourceType.NotificationTargetMgmtPolicyRef, ResourceType.Schedule] },
        { ResourceType.AccessControlPolicy, [ResourceType.Subscription] },
        { ResourceType.Group, [ResourceType.Subscription, ResourceType.SemanticDescriptor] },
        { ResourceType.Node, [ResourceType.MgmtObj, ResourceType.Subscription, ResourceType.FlexContainer, ResourceType.Schedule, ResourceType.SemanticDescriptor] },
        { ResourceType.MgmtObj, [ResourceType.Subscription, ResourceType.SemanticDescriptor] },
        { ResourceType.FlexContainer, [ResourceType.Container, ResourceType.FlexContainer, ResourceType.FlexContainerInstance, ResourceType.Subscription, ResourceType.SemanticDescriptor] },
        { ResourceType.FlexContainerInstance, [] },
        { ResourceType.Request, [ResourceType.Subscription] },
        { ResourceType.PollingChannel, [] },
        { ResourceType.NotificationTargetPolicy, [ResourceType.Subscription, ResourceType.PolicyDeletionRules] },
        { ResourceType.PolicyDeletionRules, [ResourceType.Subscription] },
        { ResourceType.NotificationTargetMgmtPolicyRef, [ResourceType.Subscription] },
        { ResourceType.TimeSeries, [ResourceType.Subscription, ResourceType.TimeSeriesInstance, ResourceType.SemanticDescriptor] },
        { ResourceType.TimeSeriesInstance, [] },
        { ResourceType.Schedule, [ResourceType.Subscription] },
        { ResourceType.LocationPolicy, [ResourceType.Subscription] },
        { ResourceType.TimeSyncBeacon, [ResourceType.Subscription] },
        { ResourceType.CrossResourceSubscription, [] },
        {
            ResourceType.RemoteCSE,
            [
                ResourceType.Subscription, ResourceType.AccessControlPolicyAnnc, ResourceType.AEAnnc, ResourceType.ContainerAnnc,
                ResourceType.GroupAnnc, ResourceType.NodeAnnc, ResourceType.FlexContainerAnnc, ResourceType.TimeSeriesAnnc,
            ]
        },
        { ResourceType.ContainerAnnc, [ResourceType.Subscription, ResourceType.ContainerAnnc, ResourceType.ContentInstanceAnnc, ResourceType.FlexContainerAnnc, ResourceType.TimeSeriesAnnc] },
        { ResourceType.ContentInstanceAnnc, [ResourceType.Subscription] },
        { ResourceType.DynamicAuthorizationConsultation, [ResourceType.Subscription] },
        { ResourceType.SemanticDescriptor, [ResourceType.Subscription] },
        { ResourceType.Action, [ResourceType.Subscription, ResourceType.Dependency] },
        { ResourceType.Dependency, [ResourceType.Subscription] },
        { ResourceType.AEContactList, [ResourceType.Subscription, ResourceType.AEContactListPerCSE] },
        { ResourceType.AEContactListPerCSE, [ResourceType.Subscription] },
    };

    [Theory]
    [MemberData(nameof(Children))]
    public void A_parents_children_are_the_types_naming_it_as_parent(ResourceType parent, ResourceType[] expected) =>
        Assert.Equal(expected.Order(), ResourceTypeRegistry.ChildrenOf(parent).Order());

    [Theory]
    [InlineData(ResourceType.AE, ResourceType.CrossResourceSubscription, false)]
    [InlineData(ResourceType.AE, ResourceType.PollingChannel, false)]
    [InlineData(ResourceType.CSEBase, ResourceType.Node, false)]
    [InlineData(ResourceType.Node, ResourceType.MgmtObj, false)]
    [InlineData(ResourceType.MgmtObj, ResourceType.SemanticDescriptor, false)]
    [InlineData(ResourceType.Container, ResourceType.TimeSeries, false)]
    [InlineData(ResourceType.CSEBase, ResourceType.TimeSyncBeacon, false)]
    [InlineData(ResourceType.Container, ResourceType.FlexContainer, false)]
    [InlineData(ResourceType.FlexContainer, ResourceType.SemanticDescriptor, false)]
    [InlineData(ResourceType.Subscription, ResourceType.Schedule, false)]
    [InlineData(ResourceType.Container, ResourceType.Group, false)]
    [InlineData(ResourceType.ContentInstance, ResourceType.Schedule, false)]
    [InlineData(ResourceType.AE, ResourceType.Container, false)]
    public void Types_the_standard_allows_but_not_implemented_are_pending_children(ResourceType parent, ResourceType child, bool pending) =>
        Assert.Equal(pending, ResourceTypeRegistry.PendingChildrenOf(parent).Contains(child));

    [Fact]
    public void Every_registered_type_has_one_policy_for_its_own_type()
    {
        foreach (var descriptor in ResourceTypeRegistry.All.Where(d => !d.SpecializedRoot))
        {
            var policy = Policies.For(descriptor.Type);

            Assert.NotNull(policy);
            Assert.Equal(descriptor.Type, policy.Type);
            Assert.Equal(descriptor.RootKey, policy.RootKey);
        }
    }

    [Fact]
    public void A_specialized_type_has_a_policy_per_root_key_and_none_for_the_type()
    {
        foreach (var descriptor in ResourceTypeRegistry.All.Where(d => d.SpecializedRoot))
        {
            Assert.Null(Policies.For(descriptor.Type));
            Assert.True(Policies.IsImplemented(descriptor.Type));
            Assert.Null(Policies.ForContent(descriptor.Type, "m2m:" + descriptor.ShortName));
        }

        Assert.Equal("m2m:bat", Policies.ForContent(ResourceType.MgmtObj, "m2m:bat")!.RootKey);
        Assert.Equal("m2m:fwr", Policies.RootKeyOf(ResourceType.MgmtObj, new() { ["mgd"] = 1001L }));
        Assert.Equal("m2m:cnt", Policies.RootKeyOf(ResourceType.Container, []));
    }

    [Fact]
    public void Each_mgmtObj_specialization_has_its_own_mgd_and_short_name()
    {
        var all = MgmtObjSpecializations.All;

        Assert.Equal(all.Length, all.Select(s => s.Definition).Distinct().Count());
        Assert.Equal(all.Length, all.Select(s => s.ShortName).Distinct().Count());
        Assert.Equal(Enumerable.Range(1001, 10).Select(d => (long)d), all.Select(s => s.Definition).Order());
    }

    [Fact]
    public void Supported_types_are_the_registered_ones_by_number() =>
        Assert.Equal([1, 2, 3, 4, 5, 9, 10, 13, 14, 15, 16, 17, 18, 23, 24, 25, 26, 27, 28, 29, 30, 34, 43, 44, 48, 58, 60, 65, 66, 10001, 10002, 10003, 10004, 10009, 10013, 10014, 10028, 10029, 10030], ResourceTypeRegistry.Supported.Select(t => (int)t));

    [Fact]
    public void A_new_id_of_each_prefixed_type_classifies_as_that_type()
    {
        foreach (var descriptor in ResourceTypeRegistry.All.Where(d => d.Ids == ResourceIdScheme.Prefixed))
        {
            var ri = ResourceIds.NewId(descriptor.Type);

            Assert.Equal(descriptor.Type, ResourceIds.Classify(ri, "id-in"));
        }
    }

    [Theory]
    [InlineData(ResourceType.Container, "m2m:cnt", "cnt")]
    [InlineData(ResourceType.Group, "m2m:grp", "grp")]
    [InlineData(ResourceType.FlexContainer, null, "fcnt")]
    [InlineData((ResourceType)6, null, null)]
    public void Names_come_from_registered_and_pending_types(ResourceType type, string? rootKey, string? shortName)
    {
        Assert.Equal(rootKey, ResourceTypeRegistry.RootKey(type));
        Assert.Equal(shortName, ResourceTypeRegistry.ShortName(type));
    }

    [Fact]
    public void Only_announceable_types_accept_announce_to()
    {
        var content = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["nu"] = new List<object?> { "Cme" },
            ["at"] = new List<object?> { "/id-mn" },
        };

        var error = AttributeValidator.Validate(SubscriptionPolicy.Rules, content, new ValidationContext(Operation.Create, "3"), out _);

        Assert.False(ResourceTypeRegistry.Get(ResourceType.Subscription).Announceable);
        Assert.NotNull(error);
        Assert.Equal(ResponseStatusCode.BadRequest, error.Code);
        Assert.Contains("at", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Exactly_the_types_with_an_announced_variant_are_announceable()
    {
        var announceable = ResourceTypeRegistry.All.Where(d => d.Announceable).Select(d => d.Type).Order().ToList();

        Assert.Equal(AnnouncedTypes.All.Select(t => AnnouncedTypes.OriginalOf(t)!.Value).Order().ToList(), announceable);
        Assert.DoesNotContain(ResourceType.Schedule, announceable);
        Assert.DoesNotContain(ResourceType.RemoteCSE, announceable);
    }
}

public sealed class ResourceTypeRegistryValidationTests
{
    private static ResourceTypeDescriptor Prefixed(ResourceType type, string prefix) => new()
    {
        Type = type, ShortName = prefix, Ids = ResourceIdScheme.Prefixed, IdPrefix = prefix,
        Grain = static (grains, ri) => grains.GetGrain<IContainerGrain>(ri),
    };

    private static string Refusal(ResourceTypeDescriptor[] registered, PendingResourceType[]? pending = null) =>
        Assert.Throws<InvalidOperationException>(() => ResourceTypeRegistry.Validate(registered, pending ?? [])).Message;

    [Fact]
    public void The_registered_types_pass() =>
        Assert.Equal(ResourceTypeRegistry.All.Count, ResourceTypeRegistry.Validate([.. ResourceTypeRegistry.All], []).Length);

    [Fact]
    public void A_prefix_that_starts_another_is_refused() =>
        Assert.Contains("'ts'", Refusal([Prefixed(ResourceType.TimeSeries, "ts"), Prefixed(ResourceType.TimeSeriesInstance, "tsi")]),
            StringComparison.Ordinal);

    [Fact]
    public void A_type_registered_twice_is_refused() =>
        Assert.Contains("twice", Refusal([Prefixed(ResourceType.Group, "grp"), Prefixed(ResourceType.Group, "grq")]), StringComparison.Ordinal);

    [Fact]
    public void A_type_both_registered_and_pending_is_refused() =>
        Assert.Contains("pending", Refusal([Prefixed(ResourceType.Group, "grp")], [new(ResourceType.Group, "grp", [])]), StringComparison.Ordinal);

    [Fact]
    public void An_upper_case_prefix_is_refused() =>
        Assert.Contains("lower-case", Refusal([Prefixed(ResourceType.Group, "Grp")]), StringComparison.Ordinal);

    [Fact]
    public void A_held_type_without_a_registered_holder_is_refused()
    {
        var held = new ResourceTypeDescriptor
        {
            Type = ResourceType.TimeSeriesInstance, ShortName = "tsi", Ids = ResourceIdScheme.Held, IdPrefix = "tsi",
            Holder = ResourceType.TimeSeries,
        };

        Assert.Contains("holder", Refusal([held]), StringComparison.Ordinal);
    }

    [Fact]
    public void A_parent_that_is_not_registered_is_refused()
    {
        var orphan = new ResourceTypeDescriptor
        {
            Type = ResourceType.Group, ShortName = "grp", Ids = ResourceIdScheme.Prefixed, IdPrefix = "grp",
            Grain = static (grains, ri) => grains.GetGrain<IContainerGrain>(ri), Parents = [ResourceType.Node],
        };

        Assert.Contains("parent", Refusal([orphan]), StringComparison.Ordinal);
    }
}
