#!/usr/bin/env bash
# Installs what the build and tests need on a fresh Linux machine, and
# nothing that is already there: PowerShell 7 (a dotnet global tool),
# Pester, the .NET Framework and PowerShell reference assemblies and the
# Roslyn compiler (NuGet packages). Needs the Rust toolchain, a C compiler
# and the .NET SDK.
# Prints the pwsh path on its last line.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=versions.env
. "$root/tools/versions.env"

need() {
    command -v "$1" >/dev/null 2>&1 || { echo "bootstrap: '$1' is required but not installed ($2)" >&2; exit 1; }
}
need cargo "install the Rust toolchain"
need dotnet "install the .NET SDK"
command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 \
    || { echo "bootstrap: a C compiler (cc or gcc) is required for the C ABI test" >&2; exit 1; }

tools="${DOTNET_TOOLS:-$HOME/.dotnet/tools}"
pwsh_bin=""
if [ -x "$tools/pwsh" ] && "$tools/pwsh" -NoProfile -Command '$PSVersionTable.PSVersion.ToString()' 2>/dev/null | grep -qx "$PWSH_VERSION"; then
    pwsh_bin="$tools/pwsh"
elif command -v pwsh >/dev/null 2>&1 && pwsh -NoProfile -Command '$PSVersionTable.PSVersion.Major' 2>/dev/null | grep -qx 7; then
    pwsh_bin=$(command -v pwsh)
else
    echo "bootstrap: installing PowerShell $PWSH_VERSION (dotnet global tool)" >&2
    dotnet tool update --global PowerShell --version "$PWSH_VERSION" >&2
    pwsh_bin="$tools/pwsh"
fi

packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
if [ ! -f "$packages/pester/$PESTER_VERSION/tools/Pester.psd1" ] \
    || [ ! -d "$packages/microsoft.netframework.referenceassemblies.net472/$NETFX_REFERENCE_ASSEMBLIES_VERSION" ] \
    || [ ! -f "$packages/microsoft.net.compilers.toolset/$ROSLYN_TOOLSET_VERSION/tasks/netcore/bincore/csc.dll" ] \
    || [ ! -f "$packages/powershellstandard.library/$POWERSHELL_STANDARD_VERSION/lib/net452/System.Management.Automation.dll" ]; then
    echo "bootstrap: restoring Pester $PESTER_VERSION, reference assemblies and Roslyn" >&2
    dotnet restore "$root/tools/Tools.csproj" --nologo -v quiet \
        -p:PesterVersion="$PESTER_VERSION" \
        -p:NetfxReferenceAssembliesVersion="$NETFX_REFERENCE_ASSEMBLIES_VERSION" \
        -p:RoslynToolsetVersion="$ROSLYN_TOOLSET_VERSION" \
        -p:PowerShellStandardVersion="$POWERSHELL_STANDARD_VERSION" >&2
    rm -rf "$root/tools/obj"
fi
echo "$pwsh_bin"
