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
#        {"failed": true, "host_condition": "not_elevated|wow64|language_mode", "msg": "..."}
#   cache  %ProgramData%\winimaging.dism\helper\<hash>\<PSEdition>-<CLR major>\WinImagingDismHelper.dll
#   trust  every folder from %ProgramData%\winimaging.dism down is created with its protected ACL in
#          one step (owner Administrators); before every load each folder and the DLL must be no
#          reparse point, owned by Administrators, SYSTEM or TrustedInstaller, and grant no write
#          right to any other account. A failed check loads nothing.
#   install  under the named mutex Global\winimaging.dism-<hash>: compile into a build folder,
#          copy the bytes into the cache under a temporary name, rename it into place. Nothing
#          that may be loaded is ever deleted or moved: Windows keeps a loaded assembly locked for
#          the life of its process, and Windows PowerShell 5.1's Add-Type may keep the one it wrote.
# No decisions here: the action plugin plans, words messages and builds the result.

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0

Function Write-Result([hashtable]$Result) {
    ConvertTo-Json -InputObject $Result -Depth 99 -Compress
}

# Conditions under which neither DISM nor this helper can work, checked before anything is written.
# The action plugin words each one (plugins/plugin_utils/_helper.py, HOST_CONDITIONS).
if ($ExecutionContext.SessionState.LanguageMode -ne 'FullLanguage') {
    # App Control for Business (WDAC) or AppLocker: Add-Type and Assembly.LoadFile are blocked.
    Write-Result @{ failed = $true; changed = $false; host_condition = 'language_mode'; msg = "PowerShell runs in $($ExecutionContext.SessionState.LanguageMode) mode" }
    return
}
if ([Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess) {
    Write-Result @{ failed = $true; changed = $false; host_condition = 'wow64'; msg = '32-bit PowerShell on 64-bit Windows' }
    return
}
$identity = [System.Security.Principal.WindowsIdentity]::GetCurrent()
$principal = New-Object -TypeName System.Security.Principal.WindowsPrincipal -ArgumentList $identity
if (-not $principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)) {
    # A filtered (UAC) token or a non-administrator: DISM would fail with ERROR_ELEVATION_REQUIRED.
    Write-Result @{ failed = $true; changed = $false; host_condition = 'not_elevated'; msg = "$($identity.Name) has no elevated Administrators token" }
    return
}

$typeName = 'ansible_collections.winimaging.dism.plugins.module_utils._DismHelper.Executor'
$dllName = 'WinImagingDismHelper.dll'
$adminsSid = New-Object -TypeName System.Security.Principal.SecurityIdentifier -ArgumentList 'S-1-5-32-544'
$trustedSids = @('S-1-5-18', 'S-1-5-32-544', 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464')
# WriteData, AppendData, WriteEA, DeleteChild, WriteAttributes, Delete, WRITE_DAC,
# WRITE_OWNER, GENERIC_ALL, GENERIC_WRITE.
$writeMask = 0x500D0156
$mutexTimeoutMs = 600000

Function Get-RetryHint {
    " Delete '$cacheRoot' and run the task again. If Windows says a file there is in use, a task on this host still has the helper loaded: wait for running tasks to end (or restart the host), then delete it."
}

Function Assert-Trusted([string]$Path) {
    $item = Get-Item -LiteralPath $Path -Force
    if ($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint) {
        throw "Refusing to load the DISM helper: '$Path' is a reparse point (junction or symbolic link).$(Get-RetryHint)"
    }
    $acl = Get-Acl -LiteralPath $Path
    $sidType = [System.Security.Principal.SecurityIdentifier]
    $owner = $acl.GetOwner($sidType).Value
    if ($trustedSids -notcontains $owner) {
        throw "Refusing to load the DISM helper: '$Path' is owned by $owner, not by Administrators or SYSTEM.$(Get-RetryHint)"
    }
    foreach ($ace in $acl.GetAccessRules($true, $true, $sidType)) {
        $rights = [int64]$ace.FileSystemRights
        if ($ace.AccessControlType -eq 'Allow' -and ($rights -band $writeMask) -and $trustedSids -notcontains $ace.IdentityReference.Value) {
            throw "Refusing to load the DISM helper: '$Path' lets $($ace.IdentityReference.Value) write to it.$(Get-RetryHint)"
        }
    }
}

# Owner Administrators; SYSTEM and Administrators full control, Users read and execute; nothing inherited.
Function Set-ProtectedRules($Security, [bool]$Container) {
    $Security.SetAccessRuleProtection($true, $false)
    $Security.SetOwner($adminsSid)
    foreach ($rule in @($Security.Access)) { $null = $Security.RemoveAccessRule($rule) }
    $inherit = if ($Container) { 'ContainerInherit, ObjectInherit' } else { 'None' }
    foreach ($grant in @(@('S-1-5-18', 'FullControl'), @('S-1-5-32-544', 'FullControl'), @('S-1-5-32-545', 'ReadAndExecute'))) {
        $sid = New-Object -TypeName System.Security.Principal.SecurityIdentifier -ArgumentList $grant[0]
        $Security.AddAccessRule((New-Object -TypeName System.Security.AccessControl.FileSystemAccessRule -ArgumentList $sid, $grant[1], $inherit, 'None', 'Allow'))
    }
}

Function Protect-File([string]$Path) {
    $acl = Get-Acl -LiteralPath $Path
    Set-ProtectedRules -Security $acl -Container $false
    Set-Acl -LiteralPath $Path -AclObject $acl
}

# Created with its protected ACL in one step: there is no moment in which the folder carries
# ProgramData's inherited ACL (which lets Users create files).
Function New-ProtectedDirectory([string]$Path) {
    if (Test-Path -LiteralPath $Path) { return }
    $security = New-Object -TypeName System.Security.AccessControl.DirectorySecurity
    Set-ProtectedRules -Security $security -Container $true
    $info = New-Object -TypeName System.IO.DirectoryInfo -ArgumentList $Path
    if ($PSVersionTable.PSEdition -eq 'Core') {
        [System.IO.FileSystemAclExtensions]::Create($info, $security)
    }
    else {
        $info.Create($security)
    }
}

Function Remove-Leftover([string]$Path) {
    # A build folder whose DLL Add-Type still holds cannot be deleted yet; a later task will.
    try { Remove-Item -LiteralPath $Path -Recurse -Force } catch { $null = $_ }
}

Function Install-Helper([string]$Source) {
    foreach ($level in @($cacheRoot, $helperRoot, $hashDir, $dir)) {
        New-ProtectedDirectory -Path $level
        Assert-Trusted -Path $level
    }
    # Leftovers of earlier installs that died or could not clean up (never the DLL itself).
    foreach ($old in @(Get-ChildItem -LiteralPath $hashDir -Directory -Filter 'build-*' -Force) + @(Get-ChildItem -LiteralPath $dir -File -Filter "$dllName.*.tmp" -Force)) {
        Remove-Leftover -Path $old.FullName
    }
    $build = Join-Path -Path $hashDir -ChildPath ('build-' + [Guid]::NewGuid().ToString('N'))
    New-ProtectedDirectory -Path $build
    try {
        $builtDll = Join-Path -Path $build -ChildPath $dllName
        Add-Type -TypeDefinition $Source -Language CSharp -OutputType Library -OutputAssembly $builtDll
        # Copy, never move: Add-Type may keep $builtDll loaded, and a loaded file cannot be moved.
        $staged = Join-Path -Path $dir -ChildPath ("$dllName." + [Guid]::NewGuid().ToString('N') + '.tmp')
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
    $cacheRoot = Join-Path -Path $env:ProgramData -ChildPath 'winimaging.dism'
    $helperRoot = Join-Path -Path $cacheRoot -ChildPath 'helper'
    $hashDir = Join-Path -Path $helperRoot -ChildPath $hash
    $flavour = '{0}-{1}' -f $PSVersionTable.PSEdition, [Environment]::Version.Major
    $dir = Join-Path -Path $hashDir -ChildPath $flavour
    $dll = Join-Path -Path $dir -ChildPath $dllName
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

        # One installer per helper version at a time, across every session on this host.
        $mutex = New-Object -TypeName System.Threading.Mutex -ArgumentList $false, "Global\winimaging.dism-$hash"
        $owned = $false
        try {
            try {
                $owned = $mutex.WaitOne($mutexTimeoutMs)
            }
            catch [System.Threading.AbandonedMutexException] {
                # Its last owner died mid-install; the temporary-name copy left nothing half-written.
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
    $response = $executor::Run($complex_args.request)
    Write-Result @{ changed = $false; helper_compiled = $compiled; response = $response }
}
catch {
    Write-Result @{ failed = $true; changed = $false; msg = $_.Exception.Message }
}
