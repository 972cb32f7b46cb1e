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

static const char *const state_names[] = {
    "NotPresent", "UninstallPending", "Staged", "Removed", "Installed", "InstallPending",
    "Superseded", "PartiallyInstalled",
};
static const char *const restart_names[] = { "No", "Possible", "Required" };

static int parse_name(const char *v, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcasecmp(v, names[i]) == 0)
            return i;
    if (strcasecmp(v, "Resolved") == 0)
        return DismStateRemoved;
    char *end;
    long x = strtol(v, &end, 10);
    return (*v && !*end && x >= 0 && x < n) ? (int)x : -1;
}

const char *feature_state_name(int state)
{
    return (state >= 0 && state <= DismStatePartiallyInstalled) ? state_names[state] : "?";
}

int feature_is_enabled(int state)
{
    return state == DismStateInstalled || state == DismStateInstallPending;
}

/* Splits `s` at `sep` into a malloc'd array of trimmed, non-empty copies. */
char **split_list(const char *s, char sep, size_t *count)
{
    *count = 0;
    size_t cap = 1;
    for (const char *p = s; p && *p; p++)
        cap += *p == sep;
    char **out = calloc(cap, sizeof(char *));
    if (!out || !s)
        return out;
    const char *p = s;
    while (*p) {
        const char *end = strchr(p, sep);
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *a = p, *b = p + n;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (b > a)
            out[(*count)++] = strndup(a, (size_t)(b - a));
        p += n + (end != NULL);
    }
    return out;
}

void free_list(char **list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        free(list[i]);
    free(list);
}

static int parse_feature(char *v, lab_feature *f)
{
    char *field[7] = { 0 };
    int n = 0;
    for (char *p = v; n < 7; n++) {
        field[n] = p;
        char *bar = strchr(p, '|');
        if (!bar) {
            n++;
            break;
        }
        *bar = '\0';
        p = bar + 1;
    }
    if (n < 6 || !field[0][0])
        return -1;
    char *next = strchr(field[1], '>');
    if (next)
        *next++ = '\0';
    f->state = parse_name(field[1], state_names, 8);
    f->next_state = next ? parse_name(next, state_names, 8) : -1;
    f->restart = parse_name(field[2], restart_names, 3);
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

static HRESULT parse_catalog(FILE *f, lab_catalog *c)
{
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    HRESULT hr = LAB_S_OK;
    while (hr == LAB_S_OK && getline(&line, &cap, f) >= 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        char *eq = strchr(line, '=');
        if (line[0] == '#' || !line[0])
            continue;
        if (!eq) {
            hr = lab_fail(LAB_E_FAIL, "The lab feature catalog %s is malformed at line %zu.", c->path, lineno);
            break;
        }
        *eq = '\0';
        const char *v = eq + 1;
        if (strcmp(line, "sku") == 0)
            c->server = strcasecmp(v, "server") == 0;
        else if (strcmp(line, "build") == 0)
            c->build = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(line, "arch") == 0)
            free(c->arch), c->arch = strdup(v);
        else if (strcmp(line, "pending_boot") == 0)
            free(c->pending_boot), c->pending_boot = strdup(v);
        else if (strcmp(line, "feature") == 0) {
            lab_feature *grown = realloc(c->items, (c->count + 1) * sizeof(*grown));
            if (!grown) {
                hr = lab_fail(LAB_E_OUTOFMEMORY, NULL);
                break;
            }
            c->items = grown;
            memset(&c->items[c->count], 0, sizeof(lab_feature));
            if (parse_feature(eq + 1, &c->items[c->count]) != 0)
                hr = lab_fail(LAB_E_FAIL, "The lab feature catalog %s has a bad feature at line %zu.",
                              c->path, lineno);
            c->count++;
        }
    }
    free(line);
    return hr;
}

HRESULT features_save(const lab_catalog *c)
{
    char *tmp = lab_strdup_printf("%s.tmp", c->path);
    FILE *f = tmp ? fopen(tmp, "w") : NULL;
    if (!f) {
        free(tmp);
        return lab_fail(LAB_E_ACCESS_DENIED, "The lab feature catalog %s cannot be written.", c->path);
    }
    fprintf(f, "# DISM lab feature catalog (tests/lab/dismsim/README.md, \"The feature model\")\n");
    fprintf(f, "sku=%s\nbuild=%u\narch=%s\n", c->server ? "server" : "client", c->build, c->arch ? c->arch : "amd64");
    if (c->pending_boot)
        fprintf(f, "pending_boot=%s\n", c->pending_boot);
    for (size_t i = 0; i < c->count; i++) {
        const lab_feature *x = &c->items[i];
        fprintf(f, "feature=%s|%s", x->name, feature_state_name(x->state));
        if (x->next_state >= 0)
            fprintf(f, ">%s", feature_state_name(x->next_state));
        fprintf(f, "|%s|", restart_names[x->restart]);
        for (size_t j = 0; j < x->parent_count; j++)
            fprintf(f, "%s%s", j ? "," : "", x->parents[j]);
        fprintf(f, "|%s|%s|", x->display_name, x->description);
        for (size_t j = 0; j < x->prop_count; j++)
            fprintf(f, "%s%s", j ? ";" : "", x->props[j]);
        fputc('\n', f);
    }
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, c->path) != 0) {
        unlink(tmp);
        free(tmp);
        return lab_fail(LAB_E_ACCESS_DENIED, "The lab feature catalog %s cannot be written.", c->path);
    }
    free(tmp);
    return LAB_S_OK;
}

/* Rule 2: a reboot (a new state/boot-id) completes the pending changes of the running OS. */
static HRESULT resolve_after_reboot(lab_catalog *c)
{
    if (!c->pending_boot)
        return LAB_S_OK;
    char *boot = lab_boot_id();
    int rebooted = boot && strcmp(boot, c->pending_boot) != 0;
    free(boot);
    if (!rebooted)
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

static HRESULT lock_features(int *fd_out)
{
    char *dir = lab_path("state");
    char *path = lab_path("state/features.lock");
    int fd = (dir && path && lab_mkdirs(dir) == 0) ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666) : -1;
    free(dir);
    free(path);
    if (fd >= 0 && flock(fd, LOCK_EX) != 0) {
        close(fd);
        fd = -1;
    }
    *fd_out = fd;
    return fd >= 0 ? LAB_S_OK : lab_fail(LAB_E_FAIL, "The lab's feature lock could not be taken.");
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
    HRESULT hr = parse_catalog(f, c);
    fclose(f);
    return hr;
}

HRESULT features_open(const lab_session *s, lab_catalog *c, int *lock_fd)
{
    memset(c, 0, sizeof(*c));
    HRESULT hr = lock_features(lock_fd);
    if (hr == LAB_S_OK)
        hr = features_read(s, c);
    if (hr == LAB_S_OK && s->online)
        hr = resolve_after_reboot(c);
    return hr;
}

void features_close(lab_catalog *c, int lock_fd)
{
    features_free(c);
    if (lock_fd >= 0) {
        flock(lock_fd, LOCK_UN);
        close(lock_fd);
    }
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
    if (fd >= 0) {
        flock(fd, LOCK_UN);
        close(fd);
    }
    if (hr == LAB_S_OK)
        hr = features_check_package(c, identifier, kind, &not_added);
    if (hr == LAB_S_OK && not_added)
        hr = lab_fail(LAB_HR(0x800F080C), "The package %s is not in the image (the lab adds no packages).",
                      identifier);
    if (hr == LAB_S_OK && name)
        hr = features_lookup(c, name, index);
    return hr;
}
