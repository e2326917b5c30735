using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.FlexContainer;

/// <summary>
/// One flexContainer specialization (a TS-0023 module class or device class) as read from its file in
/// <see cref="FlexContainerSpecializations.DirectoryName"/>: the root key it is sent and shown under
/// (<c>cod:binSh</c>), its <c>containerDefinition</c> and custom attributes. <see cref="FlexContainerPolicy"/>
/// turns each into the policies the one validator reads.
/// </summary>
/// <param name="RootKey">Namespace and short name (<c>cod:binSh</c>): the JSON key on the wire, as in ACME.</param>
/// <param name="LongName">The specialization's long name (<c>binarySwitch</c>), for messages.</param>
/// <param name="ContainerDefinition">The <c>cnd</c> a create must carry (<c>org.onem2m.common.moduleclass.binarySwitch</c>).</param>
/// <param name="SdtType">device, subdevice, moduleclass or action; null when the file gives none.</param>
/// <param name="Attributes">The custom attributes (the flexContainer's own are added by <see cref="FlexContainerPolicy"/>).</param>
/// <param name="Children">Root keys of the specializations the file names as its children (a device class's module classes).</param>
/// <param name="Source">The file it was read from, for messages.</param>
internal sealed record FlexContainerSpecialization(string RootKey, string LongName, string ContainerDefinition, string? SdtType,
    IReadOnlyList<AttributeRule> Attributes, IReadOnlyList<string> Children, string Source)
{
    /// <summary>The short name after the namespace (<c>binSh</c>): generated resource names start with it.</summary>
    public string ShortName => RootKey[(RootKey.IndexOf(':', StringComparison.Ordinal) + 1)..];
}
