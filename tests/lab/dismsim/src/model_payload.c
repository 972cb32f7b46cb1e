/*
 * Where DismEnableFeature finds the payload of a Removed feature (dism-api.md 6.7), and
 * DismAddCapability the payload of a NotPresent capability (same rules, payload_search
 * with LAB_PAYLOAD_CAPABILITY; README "The capability model"):
 *
 *   1. SourcePaths, in order; the first folder that has the feature wins.  A
 *      source is a folder with a lab payload manifest, LabPayload.txt
 *      (build=<N>, optional arch=<amd64|x86>, then one feature or capability name
 *      a line), or the Windows folder of another image (servicing\LabFeatures.txt of
 *      the same build with the feature's payload present; for a capability, its
 *      servicing\LabCapabilities.txt entry with payload `present`).  A folder of
 *      another build, a missing folder, a UNC path (the lab has no network) or a
 *      "wim:" source do not count.
 *   2. The Group Policy repair source: not modelled (nothing is found there).
 *   3. Windows Update, only for online images and only when LimitAccess is FALSE.
 *      Checked in this order: $DISM_LAB_ROOT/lab/windows-update `policy-blocked`
 *      -> 0x800F0907; a network logon (DISM_LAB_LOGON=network, e.g. WinRM
 *      without become) -> 0x800F0906; `wsus` -> 0x800F0954; `unreachable`
 *      -> 0x800F0906; `reachable` (also when the file is absent) -> found.
 *   Nothing found and Windows Update not usable -> 0x800F081F CBS_E_SOURCE_MISSING.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lab.h"

#define E_SOURCE_MISSING LAB_HR(0x800F081F)
#define E_DOWNLOAD       LAB_HR(0x800F0906)
#define E_POLICY         LAB_HR(0x800F0907)
#define E_WSUS           LAB_HR(0x800F0954)

static char *read_word(const char *path)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    char word[64] = "";
    if (f) {
        if (fscanf(f, "%63s", word) != 1)
            word[0] = '\0';
        fclose(f);
    }
    return word[0] ? strdup(word) : NULL;
}

/* A folder holding LabPayload.txt. */
static int manifest_has(const char *folder, const lab_catalog *c, const char *feature)
{
    char *path = lab_strdup_printf("%s/LabPayload.txt", folder);
    FILE *f = path ? fopen(path, "r") : NULL;
    free(path);
    if (!f)
        return 0;
    char line[512];
    unsigned build = 0;
    int arch_ok = 1, listed = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *v = line;
        while (*v == ' ' || *v == '\t')
            v++;
        if (!*v || *v == '#')
            continue;
        if (strncmp(v, "build=", 6) == 0)
            build = (unsigned)strtoul(v + 6, NULL, 10);
        else if (strncmp(v, "arch=", 5) == 0)
            arch_ok = !c->arch || strcasecmp(v + 5, c->arch) == 0;
        else if (utf8_casecmp(v, feature) == 0)
            listed = 1;
    }
    fclose(f);
    return listed && arch_ok && build == c->build;
}

/* A capability's payload in another image's store (the image's build was checked by the caller). */
static int capability_store_has(const char *folder, const char *name)
{
    lab_cap_store src;
    int found = 0;
    if (capabilities_read(folder, &src) == LAB_S_OK) {
        int i = capabilities_find(&src, name);
        found = i >= 0 && src.items[i].payload;
    }
    capabilities_free(&src);
    return found;
}

/* The Windows folder of another image (e.g. a mounted install.wim of the same build). */
static int windows_folder_has(const char *folder, const lab_catalog *c, const char *feature, int kind)
{
    lab_session other = { 0 };
    other.windows_dir = (char *)folder;
    lab_catalog src;
    int found = 0;
    /* The caller holds its feature or capability lock; read without taking a lock. */
    if (features_read(&other, &src) == LAB_S_OK) {
        int i = features_find(&src, feature);
        int same = src.build == c->build && (!c->arch || !src.arch || strcasecmp(c->arch, src.arch) == 0);
        if (kind == LAB_PAYLOAD_CAPABILITY)
            found = same && capability_store_has(folder, feature);
        else
            found = i >= 0 && same && src.items[i].state != DismStateRemoved;
    }
    features_free(&src);
    return found;
}

static int source_has(const char *win_path, const lab_catalog *c, const char *feature, int kind)
{
    char *lab = NULL;
    /* A source that is not a usable path (UNC, "wim:...") is simply not where the files are. */
    if (winpath_to_lab(win_path, &lab) != LAB_S_OK)
        return 0;
    int found = lab_is_dir(lab) && (manifest_has(lab, c, feature) || windows_folder_has(lab, c, feature, kind));
    free(lab);
    return found;
}

static const char *logon(void)
{
    const char *v = getenv("DISM_LAB_LOGON");
    return (v && *v) ? v : "interactive";
}

static HRESULT windows_update(const lab_session *s, const lab_enable_args *a, const char *feature,
                              const char *func)
{
    if (!s->online)
        return lab_fail(E_SOURCE_MISSING, "The payload of %s was not found in the SourcePaths; Windows Update "
                        "is only used for the online image.", feature);
    if (a->limit_access)
        return lab_fail(E_SOURCE_MISSING, "The payload of %s was not found in the SourcePaths, and LimitAccess "
                        "forbids Windows Update.", feature);
    char *knob_path = lab_path("lab/windows-update");
    char *knob = read_word(knob_path);
    free(knob_path);
    const char *wu = knob ? knob : "reachable";
    HRESULT hr = LAB_S_OK;
    if (strcasecmp(wu, "policy-blocked") == 0)
        hr = lab_fail(E_POLICY, "Group Policy does not allow downloading the payload of %s from Windows Update.",
                      feature);
    else if (strcasecmp(logon(), "network") == 0)
        hr = lab_fail(E_DOWNLOAD, "Windows Update cannot be used from a network logon (DISM_LAB_LOGON=network, "
                      "e.g. WinRM without become), so the payload of %s could not be downloaded. Give "
                      "SourcePaths or use become.", feature);
    else if (strcasecmp(wu, "wsus") == 0)
        hr = lab_fail(E_WSUS, "The WSUS server this host uses does not offer the payload of %s.", feature);
    else if (strcasecmp(wu, "unreachable") == 0)
        hr = lab_fail(E_DOWNLOAD, "Windows Update could not be reached to download the payload of %s.", feature);
    else if (strcasecmp(wu, "reachable") != 0)
        hr = lab_fail(LAB_E_FAIL, "The lab knob lab/windows-update holds '%s' (expected reachable, "
                      "unreachable, policy-blocked or wsus).", wu);
    else
        log_write(LAB_LOG_INFO, func, "Downloaded the payload of %s from Windows Update", feature);
    free(knob);
    return hr;
}

HRESULT payload_search(const lab_session *s, const lab_catalog *c, const lab_enable_args *a, const char *feature,
                       int kind, const char *func)
{
    for (size_t i = 0; i < a->source_count; i++) {
        if (a->sources[i] && source_has(a->sources[i], c, feature, kind)) {
            log_write(LAB_LOG_INFO, func, "Found the payload of %s in %s", feature, a->sources[i]);
            return LAB_S_OK;
        }
    }
    /* Group Policy repair source: not modelled. */
    return windows_update(s, a, feature, func);
}

HRESULT payload_find(const lab_session *s, const lab_catalog *c, const lab_enable_args *a, const char *feature)
{
    return payload_search(s, c, a, feature, LAB_PAYLOAD_FEATURE, "DismEnableFeature");
}
