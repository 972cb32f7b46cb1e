/*
 * What every servicing change (features, capabilities, packages) checks the same way:
 *   - a read-only mount cannot be changed: E_ACCESSDENIED 0x80070005 (lab's choice);
 *   - the lab/pending-block knob (online only): while something of the running OS waits
 *     for a reboot, other changes fail with the knob's HRESULT (default 0x800F082F
 *     CBS_E_EXCLUSIVE_WOULD_MERGE).  Each store decides what "pending" means for it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lab.h"

HRESULT servicing_check_writable(const lab_session *s, const char *what)
{
    if (s->online)
        return LAB_S_OK;
    lab_mount *list = NULL;
    size_t n = 0;
    HRESULT hr = mounts_list(&list, &n);
    int i = hr == LAB_S_OK ? mounts_find(list, n, s->image_root) : -1;
    if (i >= 0 && list[i].mode == DismReadOnly)
        hr = lab_fail(LAB_E_ACCESS_DENIED, "The image at %s is mounted read-only; its %s cannot be changed.",
                      list[i].mount_path, what);
    mounts_free_list(list, n);
    return hr;
}

int servicing_pending_block(const lab_session *s, HRESULT *code)
{
    if (!s->online)
        return 0;
    char *path = lab_path("lab/pending-block");
    FILE *f = path ? fopen(path, "r") : NULL;
    free(path);
    if (!f)
        return 0;
    char word[32] = "";
    if (fscanf(f, "%31s", word) != 1)
        word[0] = '\0';
    fclose(f);
    *code = word[0] ? LAB_HR(strtoul(word, NULL, 16)) : LAB_E_EXCLUSIVE_WOULD_MERGE;
    if (!LAB_FAILED(*code))
        *code = LAB_E_EXCLUSIVE_WOULD_MERGE;
    return 1;
}

int servicing_rebooted_since(const char *pending_boot)
{
    if (!pending_boot)
        return 0;
    char *boot = lab_boot_id();
    int rebooted = boot && strcmp(boot, pending_boot) != 0;
    free(boot);
    return rebooted;
}

int servicing_is_pending(int state)
{
    return state == DismStateInstallPending || state == DismStateUninstallPending;
}

char *servicing_pending_feature(const lab_session *s, int *state)
{
    lab_catalog fc;
    char *who = NULL;
    if (features_read(s, &fc) == LAB_S_OK && fc.pending_boot) {
        char *boot = lab_boot_id();
        for (size_t i = 0; boot && strcmp(boot, fc.pending_boot) == 0 && i < fc.count && !who; i++)
            if (servicing_is_pending(fc.items[i].state)) {
                who = strdup(fc.items[i].name);
                *state = fc.items[i].state;
            }
        free(boot);
    }
    features_free(&fc);
    return who;
}
