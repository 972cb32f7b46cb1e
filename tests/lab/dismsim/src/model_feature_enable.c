/*
 * DismEnableFeature's rules (dism-api.md 2.2, 6.5, 6.7), in the order they are checked:
 *
 *   1. Identifier: NULL, or the foundation package's name (else 0x800F080C); a
 *      package *path* is a package that was never added: S_OK, nothing enabled.
 *   2. the names, read-only mount, pending-block knob and progress of
 *      model_feature_change.c; a feature already Installed or InstallPending is
 *      left alone (success).
 *   3. Parents: every parent of a feature to enable must be enabled or enabled by
 *      the same call.  EnableAll adds the disabled parents (and theirs);
 *      without it the call fails with 0xC004000D DISMAPI_E_PARENT_FEATURE_DISABLED,
 *      naming the parents.  The list is all-or-nothing.
 *   4. Payload: each Removed feature needs its payload from model_payload.c;
 *      the first that cannot be found fails the whole call.
 *   5. New states: offline -> Installed, S_OK.  Online: restart Required ->
 *      InstallPending until the next reboot and the call returns 3010; restart
 *      No or Possible -> Installed, S_OK.  An UninstallPending feature goes back
 *      to Installed (its uninstall is cancelled).
 */
#include <stdlib.h>
#include <string.h>
#include "lab.h"
#include "model_paths.h"

#define E_PARENT_DISABLED LAB_HR(0xC004000D)

/* Adds the disabled parents of every wanted feature, and theirs; 1 if any was added. */
static HRESULT close_over_parents(const lab_catalog *c, char *want, int *added)
{
    *added = 0;
    for (int grew = 1; grew;) {
        grew = 0;
        for (size_t k = 0; k < c->count; k++) {
            for (size_t j = 0; want[k] && j < c->items[k].parent_count; j++) {
                int p = features_find(c, c->items[k].parents[j]);
                if (p < 0)
                    return lab_fail(LAB_E_FAIL, "The lab feature catalog names %s as a parent of %s, but has no %s.",
                                    c->items[k].parents[j], c->items[k].name, c->items[k].parents[j]);
                if (!want[p] && !feature_is_enabled(c->items[p].state))
                    want[p] = 1, grew = 1, *added = 1;
            }
        }
    }
    return LAB_S_OK;
}

static HRESULT parents_disabled(const lab_catalog *c, const char *before, const char *after)
{
    char *who = NULL, *parents = NULL;
    for (size_t k = 0; k < c->count; k++) {
        char **slot = before[k] ? &who : (after[k] ? &parents : NULL);
        if (!slot || (before[k] && !c->items[k].parent_count))
            continue;
        if (before[k]) {   /* only features with a disabled direct parent */
            int missing = 0;
            for (size_t j = 0; j < c->items[k].parent_count; j++) {
                int p = features_find(c, c->items[k].parents[j]);
                missing |= p >= 0 && !before[p] && !feature_is_enabled(c->items[p].state);
            }
            if (!missing)
                continue;
        }
        char *grown = lab_strdup_printf("%s%s%s", *slot ? *slot : "", *slot ? ", " : "", c->items[k].name);
        free(*slot);
        *slot = grown;
    }
    HRESULT hr = lab_fail(E_PARENT_DISABLED, "The parent features of %s are not enabled: %s. Enable them first, "
                          "or use EnableAll.", who ? who : "?", parents ? parents : "?");
    free(who);
    free(parents);
    return hr;
}

static HRESULT plan(const lab_catalog *c, const int *idx, size_t n, int enable_all, char *want)
{
    for (size_t i = 0; i < n; i++)
        if (!feature_is_enabled(c->items[idx[i]].state))
            want[idx[i]] = 1;
    char *before = malloc(c->count ? c->count : 1);
    if (!before)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    memcpy(before, want, c->count);
    int added = 0;
    HRESULT hr = close_over_parents(c, want, &added);
    if (hr == LAB_S_OK && added && !enable_all)
        hr = parents_disabled(c, before, want);
    free(before);
    return hr;
}

static HRESULT fetch_payloads(const lab_session *s, const lab_catalog *c, const lab_enable_args *a,
                              const char *want)
{
    for (size_t k = 0; k < c->count; k++) {
        if (want[k] && c->items[k].state == DismStateRemoved) {
            HRESULT hr = payload_find(s, c, a, c->items[k].name);
            if (hr != LAB_S_OK)
                return hr;
        }
    }
    return LAB_S_OK;
}

static int apply(const lab_session *s, lab_catalog *c, const char *want)
{
    int pending = 0;
    for (size_t k = 0; k < c->count; k++) {
        lab_feature *f = &c->items[k];
        if (!want[k])
            continue;
        int from = f->state;
        if (f->state == DismStateUninstallPending || !s->online || f->restart != DismRestartRequired) {
            f->state = DismStateInstalled;
            f->next_state = -1;
        } else {
            f->state = DismStateInstallPending;
            f->next_state = DismStateInstalled;
            pending = 1;
        }
        log_write(LAB_LOG_INFO, "DismEnableFeature", "%s: %s -> %s", f->name, feature_state_name(from),
                  feature_state_name(f->state));
    }
    return pending;
}

HRESULT features_enable(lab_session *s, const lab_enable_args *a, lab_progress *p)
{
    lab_catalog c;
    int fd = -1, not_added = 0, pending = 0;
    int *idx = NULL;
    size_t n = 0;
    char *want = NULL;
    p->total = 1000;
    HRESULT hr = LAB_S_OK;
    for (size_t i = 0; hr == LAB_S_OK && i < a->source_count; i++)
        hr = dism_check_path("A SourcePaths entry", a->sources[i]);
    if (hr != LAB_S_OK)
        return hr;
    hr = features_open(s, &c, &fd);
    if (hr == LAB_S_OK)
        hr = features_check_package(&c, a->identifier, a->package_kind, &not_added);
    if (hr == LAB_S_OK && not_added) {
        log_write(LAB_LOG_WARNING, "DismEnableFeature", "Package %s is not in the image; nothing was enabled",
                  a->identifier);
        progress_finish(p);
        features_close(&c, fd);
        return LAB_S_OK;
    }
    if (hr == LAB_S_OK)
        hr = features_resolve_names(&c, a->names, &idx, &n);
    if (hr == LAB_S_OK)
        hr = features_check_writable(s);
    if (hr == LAB_S_OK)
        hr = features_check_pending_block(s, &c, idx, n);
    if (hr == LAB_S_OK)
        hr = progress_report(p, 100);
    if (hr == LAB_S_OK && !(want = calloc(c.count ? c.count : 1, 1)))
        hr = lab_fail(LAB_E_OUTOFMEMORY, NULL);
    if (hr == LAB_S_OK)
        hr = plan(&c, idx, n, a->enable_all, want);
    if (hr == LAB_S_OK)
        hr = progress_report(p, 400);
    if (hr == LAB_S_OK)
        hr = fetch_payloads(s, &c, a, want);
    if (hr == LAB_S_OK) {
        pending = apply(s, &c, want);
        hr = features_commit(s, &c, pending, p);
    }
    free(want);
    free(idx);
    features_close(&c, fd);
    return (hr == LAB_S_OK && pending) ? LAB_S_REBOOT : hr;
}
