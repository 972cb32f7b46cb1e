/*
 * DismDisableFeature's rules (dism-api.md 2.2, 6.5, 6.7), in the order they are checked:
 *
 *   1. PackageName: NULL (the foundation package) or the foundation package's
 *      name; any other name is 0x800F080C.
 *   2. the names, read-only mount, pending-block knob and progress of
 *      model_feature_change.c.
 *   3. Children: disabling a feature also disables its enabled children, and
 *      theirs (the lab's choice for a [U] rule: a parent must be enabled while any
 *      child is).
 *   4. New states, with target = Removed when RemovePayload is TRUE on a server
 *      SKU, else Staged (client SKUs keep the payload since Windows 10):
 *        Installed:        online + restart Required -> UninstallPending until the
 *                          next reboot, and the call returns 3010; else target
 *        InstallPending:   target (the pending install is cancelled), S_OK
 *        Staged:           Removed if target is Removed, else unchanged (no-op)
 *        UninstallPending: still pending; becomes Removed at the reboot if target is
 *        Removed:          unchanged (no-op)
 */
#include <stdlib.h>
#include "lab.h"

static int has_wanted_parent(const lab_catalog *c, const lab_feature *f, const char *want)
{
    for (size_t j = 0; j < f->parent_count; j++) {
        int p = features_find(c, f->parents[j]);
        if (p >= 0 && want[p])
            return 1;
    }
    return 0;
}

static void add_enabled_children(const lab_catalog *c, char *want)
{
    for (int grew = 1; grew;) {
        grew = 0;
        for (size_t k = 0; k < c->count; k++)
            if (!want[k] && feature_is_enabled(c->items[k].state) && has_wanted_parent(c, &c->items[k], want))
                want[k] = 1, grew = 1;
    }
}

static int apply(const lab_session *s, lab_catalog *c, const char *want, int remove_payload)
{
    int target = (remove_payload && c->server) ? DismStateRemoved : DismStateStaged;
    int pending = 0;
    for (size_t k = 0; k < c->count; k++) {
        lab_feature *f = &c->items[k];
        int from = f->state;
        if (!want[k])
            continue;
        if (f->state == DismStateInstalled && s->online && f->restart == DismRestartRequired) {
            f->state = DismStateUninstallPending;
            f->next_state = target;
            pending = 1;
        } else if (f->state == DismStateInstalled || f->state == DismStateInstallPending) {
            f->state = target;
            f->next_state = -1;
        } else if (f->state == DismStateStaged) {
            f->state = target;
        } else if (f->state == DismStateUninstallPending && target == DismStateRemoved) {
            f->next_state = target;
        }
        if (from != f->state)
            log_write(LAB_LOG_INFO, "DismDisableFeature", "%s: %s -> %s", f->name, feature_state_name(from),
                      feature_state_name(f->state));
    }
    return pending;
}

HRESULT features_disable(lab_session *s, const char *names, const char *package, int remove_payload,
                         lab_progress *p)
{
    lab_catalog c;
    int fd = -1, not_added = 0, pending = 0;
    int *idx = NULL;
    size_t n = 0;
    char *want = NULL;
    p->total = 1000;
    HRESULT hr = features_open(s, &c, &fd);
    if (hr == LAB_S_OK)
        hr = features_check_package(&c, package, package ? DismPackageName : DismPackageNone, &not_added);
    if (hr == LAB_S_OK)
        hr = features_resolve_names(&c, names, &idx, &n);
    if (hr == LAB_S_OK)
        hr = features_check_writable(s);
    if (hr == LAB_S_OK)
        hr = features_check_pending_block(s, &c, idx, n);
    if (hr == LAB_S_OK)
        hr = progress_report(p, 100);
    if (hr == LAB_S_OK && !(want = calloc(c.count ? c.count : 1, 1)))
        hr = lab_fail(LAB_E_OUTOFMEMORY, NULL);
    if (hr == LAB_S_OK) {
        for (size_t i = 0; i < n; i++)
            want[idx[i]] = 1;
        add_enabled_children(&c, want);
        hr = progress_report(p, 400);
    }
    if (hr == LAB_S_OK) {
        pending = apply(s, &c, want, remove_payload);
        hr = features_commit(s, &c, pending, p);
    }
    free(want);
    free(idx);
    features_close(&c, fd);
    return (hr == LAB_S_OK && pending) ? LAB_S_REBOOT : hr;
}
