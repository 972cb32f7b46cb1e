#!powershell
#Requires -Version 5.1

# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Internal helper of the winimaging.dism action plugins; not for direct use.
#
# CONTRACT (docs/architecture.md section 1; the DISM lab host implements the same steps):
#   in   $complex_args.helper_hash    SHA-256, lowercase hex, of the UTF-8 C# helper source
#        $complex_args.helper_source  that source; sent only after an answer of helper_missing
#        $complex_args.request        the executor request, handed to Executor.Run unchanged
#   out  one JSON object:
#        {"changed": false, "helper_missing": true}
#        {"changed": false, "helper_compiled": <bool>, "response": <Executor.Run result>}
#        {"failed": true, "msg": "..."}
#   cache  %ProgramData%\winimaging.dism\helper\<hash>\<PSEdition>-<CLR major>\WinImagingDismHelper.dll
#   trust  every folder from %ProgramData%\winimaging.dism down, and the DLL, are created owned by
#          Administrators with a protected ACL; before every load each must be owned by
#          Administrators, SYSTEM or TrustedInstaller and grant no write right to any other
#          account. A failed check loads nothing.
# No decisions here: the action plugin plans, words messages and builds the result.

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0

$typeName = 'ansible_collections.winimaging.dism.plugins.module_utils._DismHelper.Executor'
$adminsSid = New-Object -TypeName System.Security.Principal.SecurityIdentifier -ArgumentList 'S-1-5-32-544'
$trustedSids = @('S-1-5-18', 'S-1-5-32-544', 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464')
# WriteData, AppendData, WriteEA, DeleteChild, WriteAttributes, Delete, WRITE_DAC,
# WRITE_OWNER, GENERIC_ALL, GENERIC_WRITE.
$writeMask = 0x500D0156

Function Assert-Trusted([string]$Path) {
    $acl = Get-Acl -LiteralPath $Path
    $sidType = [System.Security.Principal.SecurityIdentifier]
    $owner = $acl.GetOwner($sidType).Value
    if ($trustedSids -notcontains $owner) {
        throw "Refusing to load the DISM helper: '$Path' is owned by $owner, not by Administrators or SYSTEM. Delete '$cacheRoot' and run the task again."
    }
    foreach ($ace in $acl.GetAccessRules($true, $true, $sidType)) {
        $rights = [int64]$ace.FileSystemRights
        if ($ace.AccessControlType -eq 'Allow' -and ($rights -band $writeMask) -and $trustedSids -notcontains $ace.IdentityReference.Value) {
            throw "Refusing to load the DISM helper: '$Path' lets $($ace.IdentityReference.Value) write to it. Delete '$cacheRoot' and run the task again."
        }
    }
}

Function Protect-Item([string]$Path, [bool]$Container) {
    $acl = Get-Acl -LiteralPath $Path
    $acl.SetAccessRuleProtection($true, $false)
    $acl.SetOwner($adminsSid)
    foreach ($rule in @($acl.Access)) { $null = $acl.RemoveAccessRule($rule) }
    $inherit = if ($Container) { 'ContainerInherit, ObjectInherit' } else { 'None' }
    foreach ($grant in @(@('S-1-5-18', 'FullControl'), @('S-1-5-32-544', 'FullControl'), @('S-1-5-32-545', 'ReadAndExecute'))) {
        $sid = New-Object -TypeName System.Security.Principal.SecurityIdentifier -ArgumentList $grant[0]
        $acl.AddAccessRule((New-Object -TypeName System.Security.AccessControl.FileSystemAccessRule -ArgumentList $sid, $grant[1], $inherit, 'None', 'Allow'))
    }
    Set-Acl -LiteralPath $Path -AclObject $acl
}

Function New-ProtectedDirectory([string]$Path) {
    if (-not (Test-Path -LiteralPath $Path)) {
        $null = New-Item -Path $Path -ItemType Directory -Force
        Protect-Item -Path $Path -Container $true
    }
}

try {
    $hash = [string]$complex_args.helper_hash
    if ($hash -notmatch '^[0-9a-f]{64}$') { throw "helper_hash must be 64 lowercase hex digits" }
    $cacheRoot = Join-Path -Path $env:ProgramData -ChildPath 'winimaging.dism'
    $flavour = '{0}-{1}' -f $PSVersionTable.PSEdition, [Environment]::Version.Major
    $dir = Join-Path -Path $cacheRoot -ChildPath "helper\$hash\$flavour"
    $dll = Join-Path -Path $dir -ChildPath 'WinImagingDismHelper.dll'
    $compiled = $false

    if (-not (Test-Path -LiteralPath $dll)) {
        if (-not $complex_args.ContainsKey('helper_source')) {
            ConvertTo-Json -InputObject @{ changed = $false; helper_missing = $true } -Compress
            return
        }
        $source = [string]$complex_args.helper_source
        $sha = [System.Security.Cryptography.SHA256]::Create()
        $actual = -join ($sha.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($source)) | ForEach-Object { $_.ToString('x2') })
        if ($actual -ne $hash) { throw "helper_source does not match helper_hash" }

        foreach ($level in @($cacheRoot, (Join-Path $cacheRoot 'helper'), (Join-Path $cacheRoot "helper\$hash"))) {
            New-ProtectedDirectory -Path $level
            Assert-Trusted -Path $level
        }
        # A folder left without its DLL (deleted, quarantined) would block the move below.
        if (Test-Path -LiteralPath $dir) { Remove-Item -LiteralPath $dir -Recurse -Force }
        # Compile into a private staging folder, protect the DLL, then move it into place in one step.
        $staging = Join-Path -Path $cacheRoot -ChildPath ("helper\$hash\staging-" + [Guid]::NewGuid().ToString('N'))
        New-ProtectedDirectory -Path $staging
        try {
            $stagedDll = Join-Path -Path $staging -ChildPath 'WinImagingDismHelper.dll'
            Add-Type -TypeDefinition $source -Language CSharp -OutputType Library -OutputAssembly $stagedDll
            Protect-Item -Path $stagedDll -Container $false
            try {
                [System.IO.Directory]::Move($staging, $dir)
            }
            catch {
                # Another task on this host installed the same helper first: use that one.
                if (-not (Test-Path -LiteralPath $dll)) { throw }
            }
        }
        finally {
            if (Test-Path -LiteralPath $staging) { Remove-Item -LiteralPath $staging -Recurse -Force }
        }
        $compiled = $true
    }

    foreach ($item in @($cacheRoot, (Join-Path $cacheRoot 'helper'), (Join-Path $cacheRoot "helper\$hash"), $dir, $dll)) {
        Assert-Trusted -Path $item
    }
    $executor = [System.Reflection.Assembly]::LoadFile($dll).GetType($typeName, $true)
    $response = $executor::Run($complex_args.request)
    ConvertTo-Json -InputObject @{ changed = $false; helper_compiled = $compiled; response = $response } -Depth 99 -Compress
}
catch {
    ConvertTo-Json -InputObject @{ failed = $true; changed = $false; msg = $_.Exception.Message } -Compress
}
