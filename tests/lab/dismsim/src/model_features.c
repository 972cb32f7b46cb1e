/*
 * The optional-feature catalog of an image (dism-api.md 6.7).
 *
 * Every image keeps its features in its own Windows tree, in
 * <WindowsDirectory>\servicing\LabFeatures.txt, so a commit keeps feature
 * changes, a discard drops them, and the running OS (drives/C/Windows) has
 * its own.  Format (README "The feature model"):
 *
 *   sku=server|client          RemovePayload removes on server, keeps on client
 *   build=20348                the Windows build payload sources must match
 *   arch=amd64|x86             used in the foundation package's name
 *   pending_boot=<boot id>     written while a change waits for a reboot (online)
 *   feature=Name|State|Restart|Parent,Parent|Display name|Description|Path\Name=Value;...
 *
 * State is a DismPackageFeatureState name (Installed, Staged, Removed, ...);
 * a pending state carries the state it becomes at the next boot:
 * InstallPending>Installed, UninstallPending>Removed.  Restart is No,
 * Possible or Required.  A missing catalog means an image without features.
 *
 * Rules kept here, in the order the feature calls apply them:
 *   1. the catalog is read under the host's feature lock (state/features.lock);
 *   2. online: pending states resolve once state/boot-id differs from pending_boot;
 *   3. names compare case-insensitively (Windows 8+) and come back in DISM's spelling;
 *   4. package scoping: NULL Identifier, or the foundation package's name.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "lab.h"

int feature_is_enabled(int state)
{
    return state == DismStateInstalled || state == DismStateInstallPending;
}

static int parse_feature(char *v, lab_feature *f)
{
    char *field[7] = { 0 };
    int n = textstore_fields(v, field, 7);
    if (n < 6 || !field[0][0])
        return -1;
    char *next = textstore_next_state(field[1]);
    f->state = textstore_parse_state(field[1]);
    f->next_state = next ? textstore_parse_state(next) : -1;
    f->restart = textstore_parse_restart(field[2]);
    if (f->state < 0 || f->restart < 0 || (next && f->next_state < 0))
        return -1;
    f->name = strdup(field[0]);
    f->parents = split_list(field[3], ',', &f->parent_count);
    f->display_name = strdup(field[4]);
    f->description = strdup(field[5]);
    f->props = split_list(n > 6 ? field[6] : "", ';', &f->prop_count);
    return 0;
}

static void free_feature(lab_feature *f)
{
    free(f->name);
    free(f->display_name);
    free(f->description);
    free_list(f->parents, f->parent_count);
    free_list(f->props, f->prop_count);
}

void features_free(lab_catalog *c)
{
    for (size_t i = 0; i < c->count; i++)
        free_feature(&c->items[i]);
    free(c->items);
    free(c->path);
    free(c->arch);
    free(c->pending_boot);
    memset(c, 0, sizeof(*c));
}

static HRESULT catalog_line(void *ctx, const char *key, char *v, size_t lineno)
{
    lab_catalog *c = ctx;
    if (strcmp(key, "sku") == 0)
        c->server = strcasecmp(v, "server") == 0;
    else if (strcmp(key, "build") == 0)
        c->build = (unsigned)strtoul(v, NULL, 10);
    else if (strcmp(key, "arch") == 0)
        free(c->arch), c->arch = strdup(v);
    else if (strcmp(key, "pending_boot") == 0)
        free(c->pending_boot), c->pending_boot = strdup(v);
    else if (strcmp(key, "feature") == 0) {
        lab_feature *grown = realloc(c->items, (c->count + 1) * sizeof(*grown));
        if (!grown)
            return lab_fail(LAB_E_OUTOFMEMORY, NULL);
        c->items = grown;
        memset(&c->items[c->count], 0, sizeof(lab_feature));
        int bad = parse_feature(v, &c->items[c->count]) != 0;
        c->count++;   /* counted even when bad, so features_free frees what it holds */
        if (bad)
            return lab_fail(LAB_E_FAIL, "The lab feature catalog %s has a bad feature at line %zu.", c->path,
                            lineno);
    }
    return LAB_S_OK;
}

static void catalog_lines(FILE *f, const void *ctx)
{
    const lab_catalog *c = ctx;
    fprintf(f, "# DISM lab feature catalog (tests/lab/dismsim/README.md, \"The feature model\")\n");
    fprintf(f, "sku=%s\nbuild=%u\narch=%s\n", c->server ? "server" : "client", c->build, c->arch ? c->arch : "amd64");
    if (c->pending_boot)
        fprintf(f, "pending_boot=%s\n", c->pending_boot);
    for (size_t i = 0; i < c->count; i++) {
        const lab_feature *x = &c->items[i];
        fprintf(f, "feature=%s|%s", x->name, feature_state_name(x->state));
        if (x->next_state >= 0)
            fprintf(f, ">%s", feature_state_name(x->next_state));
        fprintf(f, "|%s|", textstore_restart_name(x->restart));
        for (size_t j = 0; j < x->parent_count; j++)
            fprintf(f, "%s%s", j ? "," : "", x->parents[j]);
        fprintf(f, "|%s|%s|", x->display_name, x->description);
        for (size_t j = 0; j < x->prop_count; j++)
            fprintf(f, "%s%s", j ? ";" : "", x->props[j]);
        fputc('\n', f);
    }
}

HRESULT features_save(const lab_catalog *c)
{
    return textstore_rewrite(c->path, "feature catalog", catalog_lines, c);
}

/* Rule 2: a reboot (a new state/boot-id) completes the pending changes of the running OS. */
static HRESULT resolve_after_reboot(lab_catalog *c)
{
    if (!servicing_rebooted_since(c->pending_boot))
        return LAB_S_OK;
    for (size_t i = 0; i < c->count; i++) {
        lab_feature *f = &c->items[i];
        if (f->next_state >= 0) {
            log_write(LAB_LOG_INFO, "features", "Reboot completed %s: %s -> %s", f->name,
                      feature_state_name(f->state), feature_state_name(f->next_state));
            f->state = f->next_state;
            f->next_state = -1;
        }
    }
    free(c->pending_boot);
    c->pending_boot = NULL;
    return features_save(c);
}

/* Reads the catalog without the lock or the reboot rule (also used for source images). */
HRESULT features_read(const lab_session *s, lab_catalog *c)
{
    memset(c, 0, sizeof(*c));
    c->path = lab_strdup_printf("%s/servicing/LabFeatures.txt", s->windows_dir);
    if (!c->path)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    FILE *f = fopen(c->path, "r");
    if (!f)
        return LAB_S_OK;   /* no catalog: an image without optional features */
    HRESULT hr = textstore_parse(f, c->path, "feature catalog", catalog_line, c);
    fclose(f);
    return hr;
}

HRESULT features_open(const lab_session *s, lab_catalog *c, int *lock_fd)
{
    memset(c, 0, sizeof(*c));
    HRESULT hr = textstore_lock("features", "feature", lock_fd);
    if (hr == LAB_S_OK)
        hr = features_read(s, c);
    if (hr == LAB_S_OK && s->online)
        hr = resolve_after_reboot(c);
    return hr;
}

void features_close(lab_catalog *c, int lock_fd)
{
    features_free(c);
    textstore_unlock(lock_fd);
}

int features_find(const lab_catalog *c, const char *name)
{
    for (size_t i = 0; i < c->count; i++)
        if (utf8_casecmp(c->items[i].name, name) == 0)
            return (int)i;
    return -1;
}

HRESULT features_lookup(const lab_catalog *c, const char *name, int *index)
{
    *index = features_find(c, name);
    if (*index < 0)
        return lab_fail(LAB_HR(0x800F080C), "Feature name %s is unknown.", name);
    return LAB_S_OK;
}

char *features_foundation_package(const lab_catalog *c)
{
    return lab_strdup_printf("Microsoft-Windows-Foundation-Package~31bf3856ad364e35~%s~~10.0.%u.1",
                             c->arch ? c->arch : "amd64", c->build);
}

/* Rule 4.  *not_added is set for a package path: DISM treats it as a package
 * that is not in the image (EnableFeature then succeeds without doing anything). */
HRESULT features_check_package(const lab_catalog *c, const char *identifier, int kind, int *not_added)
{
    *not_added = 0;
    if (!identifier)
        return LAB_S_OK;   /* PackageIdentifier is ignored without an Identifier */
    if (kind == DismPackagePath) {
        *not_added = 1;
        return LAB_S_OK;
    }
    if (kind != DismPackageName)
        return lab_fail(LAB_E_INVALIDARG, "PackageIdentifier must be DismPackageName or DismPackagePath "
                        "when Identifier is given.");
    char *foundation = features_foundation_package(c);
    int same = foundation && utf8_casecmp(foundation, identifier) == 0;
    free(foundation);
    if (!same)
        return lab_fail(LAB_HR(0x800F080C), "Package %s is unknown. The lab's features all belong to the "
                        "foundation package of the image.", identifier);
    return LAB_S_OK;
}

/* For the read-only calls: the catalog (the lock is released at once), the
 * package check and, when `name` is given, its index (0x800F080C if unknown). */
HRESULT features_query(const lab_session *s, const char *identifier, int kind, const char *name,
                       lab_catalog *c, int *index)
{
    int fd = -1, not_added = 0;
    HRESULT hr = features_open(s, c, &fd);
    textstore_unlock(fd);
    if (hr == LAB_S_OK)
        hr = features_check_package(c, identifier, kind, &not_added);
    if (hr == LAB_S_OK && not_added)
        hr = lab_fail(LAB_HR(0x800F080C), "The package %s is not in the image (the lab adds no packages).",
                      identifier);
    if (hr == LAB_S_OK && name)
        hr = features_lookup(c, name, index);
    return hr;
}
