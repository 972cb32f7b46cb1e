#!powershell
#Requires -Version 5.1

# Copyright: (c) 2026, winimaging.dism contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Internal to the winimaging.dism action plugins. Contract: docs/architecture.md section 1 (the
# lab host, tests/lab/host/helper.py, follows it step by step). It travels with every task, so it
# stays short, and decides and words nothing: the action plugins do.

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0

Function Write-Result([hashtable]$Result) {
    ConvertTo-Json -InputObject $Result -Depth 99 -Compress
}

if (-not ($complex_args.ContainsKey('caller') -and ([string]$complex_args.caller).StartsWith('winimaging.dism.'))) {
    Write-Result @{ failed = $true; changed = $false; msg = 'winimaging.dism.dism_helper is internal to the winimaging.dism collection; use its modules (dism_image_info, dism_image_mount, dism_feature, dism_driver, ...) instead' }
    return
}
$checkMode = $complex_args.ContainsKey('_ansible_check_mode') -and [bool]$complex_args._ansible_check_mode

# Hosts where neither DISM nor this helper can work, before anything is written (worded by
# plugin_utils/_helper.py HOST_CONDITIONS).
if ($ExecutionContext.SessionState.LanguageMode -ne 'FullLanguage') {
    Write-Result @{ failed = $true; changed = $false; host_condition = 'language_mode'; msg = "PowerShell runs in $($ExecutionContext.SessionState.LanguageMode) mode" }
    return
}
if ([Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess) {
    Write-Result @{ failed = $true; changed = $false; host_condition = 'wow64'; msg = '32-bit PowerShell on 64-bit Windows' }
    return
}
$identity = [System.Security.Principal.WindowsIdentity]::GetCurrent()
if (-not (New-Object System.Security.Principal.WindowsPrincipal $identity).IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)) {
    Write-Result @{ failed = $true; changed = $false; host_condition = 'not_elevated'; msg = "$($identity.Name) has no elevated Administrators token" }
    return
}

$typeName = 'ansible_collections.winimaging.dism.plugins.module_utils._DismHelper.Executor'
$dllName = 'WinImagingDismHelper.dll'
$sidType = [System.Security.Principal.SecurityIdentifier]
$trustedSids = @('S-1-5-18', 'S-1-5-32-544', 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464')
# WriteData AppendData WriteEA DeleteChild WriteAttributes Delete WRITE_DAC WRITE_OWNER GENERIC_ALL GENERIC_WRITE
$writeMask = 0x500D0156
$mutexTimeoutMs = 600000

Function Assert-Trusted([string]$Path) {
    $item = Get-Item -LiteralPath $Path -Force
    if ($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint) {
        throw "Refusing to load the DISM helper: '$Path' is a reparse point (junction or symbolic link)."
    }
    $acl = Get-Acl -LiteralPath $Path
    $owner = $acl.GetOwner($sidType).Value
    if ($trustedSids -notcontains $owner) {
        throw "Refusing to load the DISM helper: '$Path' is owned by $owner, not by Administrators or SYSTEM."
    }
    foreach ($ace in $acl.GetAccessRules($true, $true, $sidType)) {
        $rights = [int64]$ace.FileSystemRights
        if ($ace.AccessControlType -eq 'Allow' -and ($rights -band $writeMask) -and $trustedSids -notcontains $ace.IdentityReference.Value) {
            throw "Refusing to load the DISM helper: '$Path' lets $($ace.IdentityReference.Value) write to it."
        }
    }
}

# Owner Administrators; SYSTEM, Administrators full control; Users read and execute; not inherited.
Function Set-ProtectedRules($Security, [bool]$Container) {
    $Security.SetAccessRuleProtection($true, $false)
    $Security.SetOwner($sidType::new('S-1-5-32-544'))
    foreach ($rule in @($Security.Access)) { $null = $Security.RemoveAccessRule($rule) }
    $inherit = if ($Container) { 'ContainerInherit, ObjectInherit' } else { 'None' }
    foreach ($grant in @(@('S-1-5-18', 'FullControl'), @('S-1-5-32-544', 'FullControl'), @('S-1-5-32-545', 'ReadAndExecute'))) {
        $rule = New-Object System.Security.AccessControl.FileSystemAccessRule -ArgumentList @($sidType::new($grant[0]), $grant[1], $inherit, 'None', 'Allow')
        $Security.AddAccessRule($rule)
    }
}

Function Protect-File([string]$Path) {
    $acl = Get-Acl -LiteralPath $Path
    Set-ProtectedRules -Security $acl -Container $false
    Set-Acl -LiteralPath $Path -AclObject $acl
}

# Created with its protected ACL in one step: never with ProgramData's inherited ACL (Users may create files).
Function New-ProtectedDirectory([string]$Path) {
    if (Test-Path -LiteralPath $Path) { return }
    $security = New-Object System.Security.AccessControl.DirectorySecurity
    Set-ProtectedRules -Security $security -Container $true
    $info = New-Object System.IO.DirectoryInfo $Path
    if ($PSVersionTable.PSEdition -eq 'Core') {
        [System.IO.FileSystemAclExtensions]::Create($info, $security)
    }
    else {
        $info.Create($security)
    }
}

Function Remove-Leftover([string]$Path) {
    # What Add-Type still holds cannot be deleted yet; a later install will.
    try { Remove-Item -LiteralPath $Path -Recurse -Force } catch { $null = $_ }
}

Function Install-Helper([string]$Source) {
    foreach ($level in @($cacheRoot, $helperRoot, $hashDir, $dir)) {
        New-ProtectedDirectory -Path $level
        Assert-Trusted -Path $level
    }
    foreach ($old in @(Get-ChildItem -LiteralPath $hashDir -Directory -Filter 'build-*' -Force) + @(Get-ChildItem -LiteralPath $dir -File -Filter "$dllName.*.tmp" -Force)) {
        Remove-Leftover -Path $old.FullName
    }
    $build = Join-Path $hashDir ('build-' + [Guid]::NewGuid().ToString('N'))
    New-ProtectedDirectory -Path $build
    try {
        $builtDll = Join-Path $build $dllName
        Add-Type -TypeDefinition $Source -Language CSharp -OutputType Library -OutputAssembly $builtDll
        # Copy, never move: Add-Type may keep $builtDll loaded.
        $staged = Join-Path $dir ("$dllName." + [Guid]::NewGuid().ToString('N') + '.tmp')
        [System.IO.File]::WriteAllBytes($staged, [System.IO.File]::ReadAllBytes($builtDll))
        try {
            Protect-File -Path $staged
            [System.IO.File]::Move($staged, $dll)
        }
        catch {
            Remove-Leftover -Path $staged
            throw
        }
    }
    finally {
        Remove-Leftover -Path $build
    }
}

try {
    $hash = [string]$complex_args.helper_hash
    if ($hash -notmatch '^[0-9a-f]{64}$') { throw "helper_hash must be 64 lowercase hex digits" }
    $cacheRoot = Join-Path $env:ProgramData 'winimaging.dism'
    $helperRoot = Join-Path $cacheRoot 'helper'
    $hashDir = Join-Path $helperRoot $hash
    $flavour = '{0}-{1}' -f $PSVersionTable.PSEdition, [Environment]::Version.Major
    $dir = Join-Path $hashDir $flavour
    $dll = Join-Path $dir $dllName
    $compiled = $false

    if (-not (Test-Path -LiteralPath $dll)) {
        if (-not $complex_args.ContainsKey('helper_source')) {
            Write-Result @{ changed = $false; helper_missing = $true }
            return
        }
        $source = [string]$complex_args.helper_source
        $sha = [System.Security.Cryptography.SHA256]::Create()
        $actual = -join ($sha.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($source)) | ForEach-Object { $_.ToString('x2') })
        if ($actual -ne $hash) { throw "helper_source does not match helper_hash" }

        $mutex = New-Object System.Threading.Mutex $false, "Global\winimaging.dism-$hash"
        $owned = $false
        try {
            try {
                $owned = $mutex.WaitOne($mutexTimeoutMs)
            }
            catch [System.Threading.AbandonedMutexException] {
                # The last owner died; its temporary-name copy left nothing half-written.
                $owned = $true
            }
            if (-not $owned) {
                throw "timed out after $($mutexTimeoutMs / 1000)s waiting for another task on this host to install the DISM helper"
            }
            if (-not (Test-Path -LiteralPath $dll)) {
                Install-Helper -Source $source
                $compiled = $true
            }
        }
        finally {
            if ($owned) { $mutex.ReleaseMutex() }
            $mutex.Dispose()
        }
    }

    foreach ($item in @($cacheRoot, $helperRoot, $hashDir, $dir, $dll)) {
        Assert-Trusted -Path $item
    }
    $executor = [System.Reflection.Assembly]::LoadFile($dll).GetType($typeName, $true)
    $response = $executor::Run($complex_args.request, $checkMode)
    Write-Result @{ changed = $false; helper_compiled = $compiled; response = $response }
}
catch {
    Write-Result @{ failed = $true; changed = $false; msg = $_.Exception.Message }
}
