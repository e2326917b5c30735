using System.Text;
using System.Text.RegularExpressions;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Docs;

/// <summary>
/// Every relative link in the repository's Markdown (README, BENCHMARKS, docs/) leads somewhere: the file exists and,
/// when the link names an anchor, the target has a heading with that anchor (GitHub's rule: lower case, punctuation
/// dropped, spaces as hyphens, repeats numbered). Links inside code blocks and to other sites are not followed.
/// </summary>
public sealed partial class MarkdownLinkTests
{
    public static TheoryData<string> Documents()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(RepositoryPaths.Root, "*.md", SearchOption.TopDirectoryOnly)
                     .Concat(Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "docs"), "*.md", SearchOption.AllDirectories))
                     .Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(RepositoryPaths.Root, file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void Every_relative_link_leads_to_a_file_and_heading(string document)
    {
        var path = Path.Combine(RepositoryPaths.Root, document);
        var broken = new StringBuilder();
        foreach (var (line, target) in Links(File.ReadAllLines(path)))
        {
            var hash = target.IndexOf('#', StringComparison.Ordinal);
            var file = hash < 0 ? target : target[..hash];
            var anchor = hash < 0 ? null : Uri.UnescapeDataString(target[(hash + 1)..]);
            var resolved = file.Length == 0 ? path : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, Uri.UnescapeDataString(file)));
            if (!File.Exists(resolved) && !Directory.Exists(resolved))
            {
                broken.AppendLine(FormattableString.Invariant($"  line {line}: {target}: no such file"));
            }
            else if (anchor is not null && resolved.EndsWith(".md", StringComparison.Ordinal) && !Anchors(resolved).Contains(anchor))
            {
                broken.AppendLine(FormattableString.Invariant($"  line {line}: {target}: no heading with anchor #{anchor}"));
            }
        }

        Assert.True(broken.Length == 0, $"{document} has broken links:\n{broken}");
    }

    [Theory]
    [InlineData("## Current figures", "current-figures")]
    [InlineData("### `la` and `ol`: the latest", "la-and-ol-the-latest")]
    [InlineData("## Authentication, TLS and limits", "authentication-tls-and-limits")]
    [InlineData("## Giving a device access (access control policies)", "giving-a-device-access-access-control-policies")]
    public void Anchors_follow_the_GitHub_rule(string heading, string anchor) =>
        Assert.Equal(anchor, Slug(heading.TrimStart('#').Trim()));

    private static IEnumerable<(int Line, string Target)> Links(string[] lines)
    {
        var inCode = false;
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inCode = !inCode;
                continue;
            }

            if (inCode)
            {
                continue;
            }

            // Inline code spans are text, not links.
            var text = CodeSpan().Replace(lines[i], "");
            foreach (Match match in Link().Matches(text))
            {
                var target = match.Groups["target"].Value;
                if (!target.Contains("://", StringComparison.Ordinal) && !target.StartsWith("mailto:", StringComparison.Ordinal))
                {
                    yield return (i + 1, target);
                }
            }
        }
    }

    private static HashSet<string> Anchors(string file)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var inCode = false;
        foreach (var line in File.ReadLines(file))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inCode = !inCode;
                continue;
            }

            if (inCode || !line.StartsWith('#'))
            {
                continue;
            }

            var slug = Slug(line.TrimStart('#').Trim());
            var count = seen.GetValueOrDefault(slug);
            seen[slug] = count + 1;
            anchors.Add(count == 0 ? slug : FormattableString.Invariant($"{slug}-{count}"));
        }

        return anchors;
    }

    private static string Slug(string heading)
    {
        var slug = new StringBuilder(heading.Length);
        foreach (var c in heading.ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_')
            {
                slug.Append(c);
            }
            else if (c == ' ')
            {
                slug.Append('-');
            }
        }

        return slug.ToString();
    }

    [GeneratedRegex(@"\[(?:[^\]\[]|\[[^\]]*\])*\]\((?<target>[^)\s]+)(?:\s+""[^""]*"")?\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"`[^`]*`")]
    private static partial Regex CodeSpan();
}
