/*
 * What DismEnableFeature and DismDisableFeature share, in the order they check it:
 *
 *   1. FeatureName is one name or a ';'-separated list (spaces around names are
 *      ignored); an empty list is E_INVALIDARG; every name must exist, else
 *      0x800F080C "Feature name X is unknown." and nothing changes.
 *   2. A read-only mount cannot be changed: E_ACCESSDENIED 0x80070005 (lab's choice).
 *   3. Pending reboot (online): by default further changes are allowed, as real DISM
 *      usually does.  When $DISM_LAB_ROOT/lab/pending-block exists (its first word an
 *      HRESULT, default 0x800F082F CBS_E_EXCLUSIVE_WOULD_MERGE; 0x800F0806 CBS_E_PENDING
 *      also seen), a change that touches a feature which is not itself pending fails
 *      with that code while any feature of the running OS is pending.
 *   4. Progress: Total 1000, cancellable reports at 100 (after the checks), 400 and
 *      800; the catalog is written after the last cancellable report, then 1000.
 *      A cancel returns 0x800704C7 with nothing changed.
 *   5. Changes are all-or-nothing: the catalog is written once, at the end; a
 *      pending change records the current boot id as pending_boot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lab.h"


HRESULT features_resolve_names(const lab_catalog *c, const char *names, int **idx_out, size_t *n_out)
{
    size_t n = 0;
    char **list = split_list(names, ';', &n);
    int *idx = list ? calloc(n ? n : 1, sizeof(int)) : NULL;
    HRESULT hr = idx ? LAB_S_OK : lab_fail(LAB_E_OUTOFMEMORY, NULL);
    if (hr == LAB_S_OK && n == 0)
        hr = lab_fail(LAB_E_INVALIDARG, "FeatureName names no feature.");
    size_t kept = 0;
    for (size_t i = 0; hr == LAB_S_OK && i < n; i++) {
        int k;
        hr = features_lookup(c, list[i], &k);
        int dup = 0;
        for (size_t j = 0; hr == LAB_S_OK && j < kept; j++)
            dup |= idx[j] == k;
        if (hr == LAB_S_OK && !dup)
            idx[kept++] = k;
    }
    free_list(list, n);
    if (hr != LAB_S_OK) {
        free(idx);
        return hr;
    }
    *idx_out = idx;
    *n_out = kept;
    return LAB_S_OK;
}

HRESULT features_check_writable(const lab_session *s)
{
    return servicing_check_writable(s, "features");
}

HRESULT features_check_pending_block(const lab_session *s, const lab_catalog *c, const int *idx, size_t n)
{
    HRESULT code;
    if (!servicing_pending_block(s, &code))
        return LAB_S_OK;
    const lab_feature *pending = NULL;
    for (size_t i = 0; i < c->count && !pending; i++)
        if (servicing_is_pending(c->items[i].state))
            pending = &c->items[i];
    if (!pending)
        return LAB_S_OK;
    for (size_t i = 0; i < n; i++)
        if (!servicing_is_pending(c->items[idx[i]].state))
            return lab_fail(code, "A reboot is pending (%s is %s); %s cannot be changed until the host restarts.",
                            pending->name, feature_state_name(pending->state), c->items[idx[i]].name);
    return LAB_S_OK;
}

HRESULT features_commit(lab_session *s, lab_catalog *c, int any_pending, lab_progress *p)
{
    HRESULT hr = progress_report(p, 800);
    if (hr != LAB_S_OK)
        return hr;
    if (any_pending && s->online) {
        free(c->pending_boot);
        c->pending_boot = lab_boot_id();
    }
    hr = features_save(c);
    if (hr == LAB_S_OK)
        progress_finish(p);
    return hr;
}
