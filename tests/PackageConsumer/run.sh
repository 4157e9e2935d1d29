#!/usr/bin/env bash
# Proves the NuGet packages work for a consumer: packs ContrastiveML.Estimators and ContrastiveML.Onnx into a temporary
# folder, then builds and runs a new console project that references only ContrastiveML.Estimators from that folder.
# The consumer's build must run the libstdc++ adaptation (buildTransitive) for TorchSharp to load on Debian 12, then
# pretrain a tiny SimCLR encoder and print the ONNX parity figure.
# A unique prerelease version per run keeps a stale copy in the NuGet cache from ever being used.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
version="0.1.0-consumer.$(date +%Y%m%d%H%M%S).$$"

for project in ContrastiveML.Onnx ContrastiveML.Estimators; do
  dotnet pack "$repo/src/$project/$project.csproj" -c Release -o "$work/packages" -p:Version="$version" -v q -nologo
done
mkdir -p "$work/consumer"
cp "$repo/tests/PackageConsumer/Program.cs.txt" "$work/consumer/Program.cs"
cat > "$work/consumer/Consumer.csproj" <<PROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
    <PlatformTarget>x64</PlatformTarget>
    <!-- No NU1603 to suppress: the packages depend on SkiaSharp 3.119.4 themselves (pinned centrally), so NuGet does not
         go looking for the 3.119.2 ImageAnalytics asks for; warnings as errors keeps it that way. -->
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
    <RestoreAdditionalProjectSources>$work/packages</RestoreAdditionalProjectSources>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="ContrastiveML.Estimators" Version="$version" />
  </ItemGroup>
</Project>
PROJ
# Isolate the consumer from this repository's Directory.Build.* and central package versions.
echo '<Project />' > "$work/Directory.Build.props"
echo '<Project />' > "$work/Directory.Build.targets"
echo '<Project />' > "$work/Directory.Packages.props"
dotnet build "$work/consumer/Consumer.csproj" -c Release -v q -nologo
dotnet "$work/consumer/bin/Release/net10.0/Consumer.dll"
