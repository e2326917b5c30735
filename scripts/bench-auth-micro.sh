#!/usr/bin/env bash
# CPU cost per request of originator authentication, in isolation (see BENCHMARKS.md, "Cost of originator
# authentication"): one PBKDF2 verification (what a cache miss costs), and the cached path a request normally takes
# (HTTP Basic parsing, HMAC of the secret, cache lookup), 1,000,000 times in a loop, three rounds, on CPU $CPU.
# Builds a throwaway console program in a temporary directory against the Release Gateway assembly.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ROOT=$PWD
CPU=${CPU:-1}
dotnet build "$ROOT/Gateway/Gateway.csproj" -c Release -nologo -clp:ErrorsOnly -v quiet >/dev/null
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
BIN=$ROOT/Gateway/bin/Release/net10.0
cat >"$DIR/micro.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup>
  <ItemGroup><FrameworkReference Include="Microsoft.AspNetCore.App" />
    <Reference Include="$BIN/VirtualIoT.Gateway.dll" /><Reference Include="$BIN/VirtualIoT.Grains.Interfaces.dll" />
    <Reference Include="$BIN/Orleans.Core.Abstractions.dll" /><Reference Include="$BIN/Orleans.Serialization.Abstractions.dll" /></ItemGroup>
</Project>
XML
cat >"$DIR/Program.cs" <<'CS'
using System.Diagnostics;
using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using VirtualIoT;
using VirtualIoT.Gateway.Security;

const string User = "Cbench0001", Secret = "bench-secret-0001";
var options = Options.Create(new AuthenticationOptions { Required = true, Credentials = new() { [User] = Secret } });
var hash = CredentialStore.Hash(Secret);
var hasher = new PasswordHasher<object>();
var clock = Stopwatch.StartNew();
for (var i = 0; i < 10; i++) { hasher.VerifyHashedPassword(new object(), hash, Secret); }
Console.WriteLine($"PBKDF2 verification (cache miss): {clock.Elapsed.TotalMilliseconds / 10:F1} ms");

// No credential stored in the cluster: the store falls back to the bootstrap credential, as a silo would answer.
var store = new CredentialStore(DispatchProxy.Create<Orleans.IGrainFactory, NoStoredCredentials>(), options, NullLogger<CredentialStore>.Instance);
var authenticator = new OriginatorAuthenticator(store, options, NullLogger<OriginatorAuthenticator>.Instance);
var request = new ResourceRequest { Operation = Operation.Retrieve, Originator = User, RequestIdentifier = "r" };
var header = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(User + ":" + Secret));
for (var round = 1; round <= 3; round++)
{
    const int N = 1_000_000;
    clock.Restart();
    for (var i = 0; i < N; i++)
    {
        if (await authenticator.AuthenticateHttpAsync(header, request) is { } error) throw new InvalidOperationException(error.Message);
    }
    Console.WriteLine($"round {round}: cached authentication {clock.Elapsed.TotalMilliseconds * 1000 / N:F2} µs per request");
}

public class NoStoredCredentials : DispatchProxy
{
    protected override object? Invoke(MethodInfo? method, object?[]? args) => DispatchProxy.Create<ICredentialGrain, NoCredential>();
}

public class NoCredential : DispatchProxy
{
    protected override object? Invoke(MethodInfo? method, object?[]? args) => new ValueTask<StoredCredential?>((StoredCredential?)null);
}
CS
dotnet build "$DIR/micro.csproj" -c Release -nologo -clp:ErrorsOnly -v quiet -o "$DIR/out" >"$DIR/build.log" || { cat "$DIR/build.log" >&2; exit 1; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
taskset -c "$CPU" dotnet "$DIR/out/micro.dll"
