/*
 * DismAddCapability and DismRemoveCapability (dism-api.md 2.2, 5.3, 6.5, 6.8), on the store of
 * model_capabilities.c.  Offline images work the same minus Windows Update and minus pending
 * states (Installed / NotPresent at once).
 *
 * DismAddCapability, in the order the rules are checked:
 *   1. each SourcePaths entry fits MAX_PATH (0x800700CE, nothing read or changed);
 *   2. the name is known: else 0x800F080C "Capability name X is unknown.";
 *   3. a read-only mount cannot be changed: 0x80070005;
 *   4. pending-block (online, $DISM_LAB_ROOT/lab/pending-block, as for features): while a
 *      capability or a feature of the running OS waits for a reboot, a capability that is
 *      not itself pending cannot be changed (the knob's HRESULT, default 0x800F082F);
 *   5. Installed or InstallPending: S_OK, nothing changes; UninstallPending: back to
 *      Installed (the pending removal is cancelled), S_OK;
 *   6. progress: Total 1000, cancellable reports at 100 (after the checks) and 400;
 *   7. payload absent (NotPresent): model_payload.c's search, SourcePaths then Windows Update
 *      (online, LimitAccess FALSE, the lab/windows-update knob and DISM_LAB_LOGON); nothing
 *      found -> 0x800F081F.  A payload on disk (Staged) needs no source;
 *   8. cancellable report at 800, the store is written, then 1000.  A cancel returns
 *      0x800704C7 with nothing changed;
 *   9. new state: online + restart Required -> InstallPending>Installed and 3010 (the current
 *      boot id is recorded as pending_boot); otherwise Installed, S_OK.  The payload is present.
 *
 * DismRemoveCapability, in the order the rules are checked:
 *   1. the name is known (0x800F080C);  2. read-only mount (0x80070005);
 *   3. not installed (NotPresent, Staged, Removed, Superseded): 0x800F0825
 *      CBS_E_CANNOT_UNINSTALL (dism-api.md 2.2: DSC observed it);
 *   4. UninstallPending: S_OK, nothing changes;  5. pending-block, as for add;
 *   6. progress 100/400/800, write, 1000, as for add;
 *   7. new state: Installed, online + restart Required -> UninstallPending>NotPresent and 3010;
 *      otherwise (and InstallPending, whose install is cancelled) NotPresent at once, S_OK.
 *      NotPresent capabilities have no payload on disk (at the reboot for a pending removal).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lab.h"
#include "model_paths.h"

#define E_CANNOT_UNINSTALL      LAB_HR(0x800F0825)

static HRESULT check_pending_block(const lab_session *s, const lab_cap_store *c, int k)
{
    HRESULT code;
    if (servicing_is_pending(c->items[k].state) || !servicing_pending_block(s, &code))
        return LAB_S_OK;
    for (size_t i = 0; i < c->count; i++)
        if (servicing_is_pending(c->items[i].state))
            return lab_fail(code, "A reboot is pending (%s is %s); %s cannot be changed until the host restarts.",
                            c->items[i].name, feature_state_name(c->items[i].state), c->items[k].name);
    int state = 0;
    char *feature = servicing_pending_feature(s, &state);
    HRESULT hr = LAB_S_OK;
    if (feature)
        hr = lab_fail(code, "A reboot is pending (feature %s is %s); %s cannot be changed until the host restarts.",
                      feature, feature_state_name(state), c->items[k].name);
    free(feature);
    return hr;
}

/* Lock and read the store (reboot rule), find the name, refuse a read-only mount. */
static HRESULT begin(lab_session *s, const char *name, lab_cap_store *c, int *fd, int *k)
{
    HRESULT hr = capabilities_open(s, c, fd);
    if (hr == LAB_S_OK)
        hr = capabilities_lookup(c, name, k);
    if (hr == LAB_S_OK)
        hr = servicing_check_writable(s, "capabilities");
    return hr;
}

static HRESULT commit(lab_session *s, lab_cap_store *c, int pending, lab_progress *p)
{
    HRESULT hr = progress_report(p, 800);
    if (hr != LAB_S_OK)
        return hr;
    int any = 0;
    for (size_t i = 0; i < c->count; i++)
        any |= servicing_is_pending(c->items[i].state);
    if (pending && s->online) {
        free(c->pending_boot);
        c->pending_boot = lab_boot_id();
    } else if (!any) {
        free(c->pending_boot);
        c->pending_boot = NULL;
    }
    hr = capabilities_save(c);
    if (hr == LAB_S_OK)
        progress_finish(p);
    return hr;
}

static HRESULT find_payload(const lab_session *s, const char *name, int limit_access, const char *const *sources,
                            size_t source_count)
{
    lab_catalog fc;   /* the image's build and architecture, which a source must match */
    HRESULT hr = features_read(s, &fc);
    if (hr == LAB_S_OK) {
        lab_enable_args a = { NULL, NULL, DismPackageNone, limit_access, sources, source_count, 0 };
        hr = payload_search(s, &fc, &a, name, LAB_PAYLOAD_CAPABILITY, "DismAddCapability");
    }
    features_free(&fc);
    return hr;
}

HRESULT capabilities_add(lab_session *s, const char *name, int limit_access, const char *const *sources,
                         size_t source_count, lab_progress *p)
{
    lab_cap_store c;
    int fd = -1, k = -1, pending = 0;
    p->total = 1000;
    HRESULT hr = LAB_S_OK;
    for (size_t i = 0; hr == LAB_S_OK && i < source_count; i++)
        hr = dism_check_path("A SourcePaths entry", sources[i]);
    if (hr != LAB_S_OK)
        return hr;
    hr = begin(s, name, &c, &fd, &k);
    if (hr == LAB_S_OK)
        hr = check_pending_block(s, &c, k);
    int from = k >= 0 ? c.items[k].state : -1;
    int noop = from == DismStateInstalled || from == DismStateInstallPending;
    if (hr == LAB_S_OK)
        hr = progress_report(p, 100);
    if (hr == LAB_S_OK)
        hr = progress_report(p, 400);
    if (hr == LAB_S_OK && !noop && from != DismStateUninstallPending && !c.items[k].payload)
        hr = find_payload(s, c.items[k].name, limit_access, sources, source_count);
    if (hr == LAB_S_OK && noop) {
        hr = progress_report(p, 800);
        if (hr == LAB_S_OK)
            progress_finish(p);
        log_write(LAB_LOG_INFO, "DismAddCapability", "%s is already %s; nothing to do", c.items[k].name,
                  feature_state_name(from));
    } else if (hr == LAB_S_OK) {
        lab_capability *x = &c.items[k];
        if (from != DismStateUninstallPending && s->online && x->restart == DismRestartRequired) {
            x->state = DismStateInstallPending;
            x->next_state = DismStateInstalled;
            pending = 1;
        } else {
            x->state = DismStateInstalled;
            x->next_state = -1;
        }
        x->payload = 1;
        log_write(LAB_LOG_INFO, "DismAddCapability", "%s: %s -> %s", x->name, feature_state_name(from),
                  feature_state_name(x->state));
        hr = commit(s, &c, pending, p);
    }
    capabilities_close(&c, fd);
    return (hr == LAB_S_OK && pending) ? LAB_S_REBOOT : hr;
}

HRESULT capabilities_remove(lab_session *s, const char *name, lab_progress *p)
{
    lab_cap_store c;
    int fd = -1, k = -1, pending = 0;
    p->total = 1000;
    HRESULT hr = begin(s, name, &c, &fd, &k);
    int from = k >= 0 ? c.items[k].state : -1;
    int installed = from == DismStateInstalled || from == DismStateInstallPending ||
                    from == DismStatePartiallyInstalled;
    int noop = from == DismStateUninstallPending;
    if (hr == LAB_S_OK && !installed && !noop)
        hr = lab_fail(E_CANNOT_UNINSTALL, "Capability %s is not installed (%s), so it cannot be removed.",
                      c.items[k].name, feature_state_name(from));
    if (hr == LAB_S_OK && !noop)
        hr = check_pending_block(s, &c, k);
    if (hr == LAB_S_OK)
        hr = progress_report(p, 100);
    if (hr == LAB_S_OK)
        hr = progress_report(p, 400);
    if (hr == LAB_S_OK && noop) {
        hr = progress_report(p, 800);
        if (hr == LAB_S_OK)
            progress_finish(p);
        log_write(LAB_LOG_INFO, "DismRemoveCapability", "%s is already UninstallPending; nothing to do",
                  c.items[k].name);
    } else if (hr == LAB_S_OK) {
        lab_capability *x = &c.items[k];
        if (from == DismStateInstalled && s->online && x->restart == DismRestartRequired) {
            x->state = DismStateUninstallPending;
            x->next_state = DismStateNotPresent;
            pending = 1;
        } else {
            x->state = DismStateNotPresent;
            x->next_state = -1;
            x->payload = 0;
        }
        log_write(LAB_LOG_INFO, "DismRemoveCapability", "%s: %s -> %s", x->name, feature_state_name(from),
                  feature_state_name(x->state));
        hr = commit(s, &c, pending, p);
    }
    capabilities_close(&c, fd);
    return (hr == LAB_S_OK && pending) ? LAB_S_REBOOT : hr;
}
