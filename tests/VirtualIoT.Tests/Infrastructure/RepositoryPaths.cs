namespace VirtualIoT.Tests.Infrastructure;

/// <summary>Where the repository's own files are, found from the test assembly's folder.</summary>
internal static class RepositoryPaths
{
    /// <summary>The repository's root: the first folder above the test assembly holding <c>VirtualIoT.sln</c>.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "VirtualIoT.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no VirtualIoT.sln above {AppContext.BaseDirectory}");
    }
}
