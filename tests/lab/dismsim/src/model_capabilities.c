/*
 * The capability store of an image (Features on Demand, dism-api.md 2.2, 6.8).
 *
 * Every image keeps its capabilities in its own Windows tree, in
 * <WindowsDirectory>\servicing\LabCapabilities.txt, so a commit keeps capability
 * changes, a discard drops them, each WIM index has its own, and the running OS
 * (drives/C/Windows) has its own.  Format (README "The capability model"):
 *
 *   pending_boot=<boot id>     written while a change waits for a reboot (online)
 *   capability=Name|State[>Next]|Restart|present|absent|Display name|Description|DownloadSize|InstallSize
 *
 * State is a DismPackageFeatureState name (Installed, Staged, NotPresent, ...); a
 * pending state carries the state it becomes at the next boot:
 * InstallPending>Installed, UninstallPending>NotPresent.  Restart is No, Possible
 * or Required.  `present` means the payload is on disk (a Staged capability), so
 * adding it needs no source.  Sizes are bytes (DWORD).  A missing file means an
 * image without capabilities.
 *
 * Rules kept here, in the order the capability calls apply them:
 *   1. the store is read under the host's capability lock (state/capabilities.lock);
 *   2. online: pending states resolve once state/boot-id differs from pending_boot
 *      (a capability that becomes NotPresent loses its payload then);
 *   3. names compare case-insensitively and come back in the file's spelling;
 *      an unknown name is 0x800F080C "Capability name X is unknown.".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lab.h"

static int parse_size(const char *v, unsigned *out)
{
    char *end;
    unsigned long x = strtoul(v, &end, 10);
    if (!*v || *end || x > 0xFFFFFFFFul)
        return -1;
    *out = (unsigned)x;
    return 0;
}

static int parse_capability(char *v, lab_capability *c)
{
    char *field[8] = { 0 };
    if (textstore_fields(v, field, 8) < 8 || !field[0][0])
        return -1;
    char *next = textstore_next_state(field[1]);
    c->state = textstore_parse_state(field[1]);
    c->next_state = next ? textstore_parse_state(next) : -1;
    c->restart = textstore_parse_restart(field[2]);
    c->payload = strcasecmp(field[3], "present") == 0 ? 1 : strcasecmp(field[3], "absent") == 0 ? 0 : -1;
    if (c->state < 0 || c->restart < 0 || c->payload < 0 || (next && c->next_state < 0) ||
        parse_size(field[6], &c->download_size) != 0 || parse_size(field[7], &c->install_size) != 0)
        return -1;
    c->name = strdup(field[0]);
    c->display_name = strdup(field[4]);
    c->description = strdup(field[5]);
    return (c->name && c->display_name && c->description) ? 0 : -1;
}

void capabilities_free(lab_cap_store *c)
{
    for (size_t i = 0; i < c->count; i++) {
        free(c->items[i].name);
        free(c->items[i].display_name);
        free(c->items[i].description);
    }
    free(c->items);
    free(c->path);
    free(c->pending_boot);
    memset(c, 0, sizeof(*c));
}

static HRESULT capability_line(void *ctx, const char *key, char *v, size_t lineno)
{
    lab_cap_store *c = ctx;
    if (strcmp(key, "pending_boot") == 0) {
        free(c->pending_boot);
        c->pending_boot = strdup(v);
    } else if (strcmp(key, "capability") == 0) {
        lab_capability *grown = realloc(c->items, (c->count + 1) * sizeof(*grown));
        if (!grown)
            return lab_fail(LAB_E_OUTOFMEMORY, NULL);
        c->items = grown;
        memset(&c->items[c->count], 0, sizeof(lab_capability));
        int bad = parse_capability(v, &c->items[c->count]) != 0;
        c->count++;   /* counted even when bad, so capabilities_free frees what it holds */
        if (bad)
            return lab_fail(LAB_E_FAIL, "The lab capability store %s has a bad capability at line %zu.",
                            c->path, lineno);
    }
    return LAB_S_OK;
}

static void capability_lines(FILE *f, const void *ctx)
{
    const lab_cap_store *c = ctx;
    fprintf(f, "# DISM lab capabilities (tests/lab/dismsim/README.md, \"The capability model\")\n");
    if (c->pending_boot)
        fprintf(f, "pending_boot=%s\n", c->pending_boot);
    for (size_t i = 0; i < c->count; i++) {
        const lab_capability *x = &c->items[i];
        fprintf(f, "capability=%s|%s", x->name, feature_state_name(x->state));
        if (x->next_state >= 0)
            fprintf(f, ">%s", feature_state_name(x->next_state));
        fprintf(f, "|%s|%s|%s|%s|%u|%u\n", textstore_restart_name(x->restart), x->payload ? "present" : "absent",
                x->display_name, x->description, x->download_size, x->install_size);
    }
}

HRESULT capabilities_save(const lab_cap_store *c)
{
    return textstore_rewrite(c->path, "capability store", capability_lines, c);
}

/* Rule 2: a reboot (a new state/boot-id) completes the pending changes of the running OS. */
static HRESULT resolve_after_reboot(lab_cap_store *c)
{
    if (!servicing_rebooted_since(c->pending_boot))
        return LAB_S_OK;
    for (size_t i = 0; i < c->count; i++) {
        lab_capability *x = &c->items[i];
        if (x->next_state < 0)
            continue;
        log_write(LAB_LOG_INFO, "capabilities", "Reboot completed %s: %s -> %s", x->name,
                  feature_state_name(x->state), feature_state_name(x->next_state));
        x->state = x->next_state;
        x->next_state = -1;
        if (x->state == DismStateNotPresent)
            x->payload = 0;
    }
    free(c->pending_boot);
    c->pending_boot = NULL;
    return capabilities_save(c);
}

/* Reads <windows_dir>/servicing/LabCapabilities.txt (also used for source images). */
HRESULT capabilities_read(const char *windows_dir, lab_cap_store *c)
{
    memset(c, 0, sizeof(*c));
    c->path = lab_strdup_printf("%s/servicing/LabCapabilities.txt", windows_dir);
    if (!c->path)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    FILE *f = fopen(c->path, "r");
    if (!f)
        return LAB_S_OK;   /* no store: an image without capabilities */
    HRESULT hr = textstore_parse(f, c->path, "capability store", capability_line, c);
    fclose(f);
    return hr;
}

HRESULT capabilities_open(const lab_session *s, lab_cap_store *c, int *lock_fd)
{
    memset(c, 0, sizeof(*c));
    HRESULT hr = textstore_lock("capabilities", "capability", lock_fd);
    if (hr == LAB_S_OK)
        hr = capabilities_read(s->windows_dir, c);
    if (hr == LAB_S_OK && s->online)
        hr = resolve_after_reboot(c);
    return hr;
}

void capabilities_close(lab_cap_store *c, int lock_fd)
{
    capabilities_free(c);
    textstore_unlock(lock_fd);
}

int capabilities_find(const lab_cap_store *c, const char *name)
{
    for (size_t i = 0; i < c->count; i++)
        if (utf8_casecmp(c->items[i].name, name) == 0)
            return (int)i;
    return -1;
}

HRESULT capabilities_lookup(const lab_cap_store *c, const char *name, int *index)
{
    *index = capabilities_find(c, name);
    if (*index < 0)
        return lab_fail(LAB_HR(0x800F080C), "Capability name %s is unknown.", name);
    return LAB_S_OK;
}

/* For the read-only calls: the store (the lock is released at once) and, when
 * `name` is given, its index. */
HRESULT capabilities_query(const lab_session *s, const char *name, lab_cap_store *c, int *index)
{
    int fd = -1;
    HRESULT hr = capabilities_open(s, c, &fd);
    textstore_unlock(fd);
    if (hr == LAB_S_OK && name)
        hr = capabilities_lookup(c, name, index);
    return hr;
}
