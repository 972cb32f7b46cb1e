/*
 * DismAddPackage and DismRemovePackage (dism-api.md 2.2, 5.3, 6.5), on the store of
 * model_packages.c and the files of model_package_file.c.
 *
 * DismAddPackage, in the order the rules are checked:
 *   1. the path: MAX_PATH (0x800700CE), exists (0x80070002 / 0x80070003), a lab .cab, an
 *      expanded folder with update.mum or a lab .msu (else 0x800F0805);
 *   2. an .msu is added to an offline image only: online 0x80070032 ERROR_NOT_SUPPORTED;
 *   3. a read-only mount cannot be changed: 0x80070005;
 *   4. each package of the file, in file order (an .msu's inner cabs, its scan cab skipped),
 *      against the store as the earlier ones leave it, so the servicing stack inside an .msu
 *      satisfies the cumulative update after it; all or nothing:
 *      a. the same identity already there: nothing to do (UninstallPending: back to Installed);
 *      b. applicability (model_packages.c rule 5), unless IgnoreCheck: 0x800F081E
 *         CBS_E_NOT_APPLICABLE;
 *      c. requires=name>=version: such a package Installed or InstallPending, else 0x800F0823
 *         CBS_E_NEW_SERVICING_STACK_REQUIRED;
 *      d. pending-block (model_servicing.c): another package or a feature pending in this boot;
 *      e. PreventPending: the package would end InstallPending, or another package of the image
 *         is pending: 0x800F082F CBS_E_EXCLUSIVE_WOULD_MERGE (lab's choice);
 *      f. new state: offline, offline=NotInstallable -> InstallPending (it completes at the
 *         image's first boot, which the lab never runs); online, restart=Required ->
 *         InstallPending>Installed and 3010; otherwise Installed.  Older versions of the same
 *         package and packages named in supersedes= with a lower version become Superseded;
 *   5. progress: Total 1000, cancellable reports at 100 (after the checks), 400 and 800, then the
 *      .mum copies and the store are written and 1000 is reported (an identity already there:
 *      the same reports, nothing written).  A cancel returns 0x800704C7
 *      with nothing changed.
 *
 * DismRemovePackage, in the order the rules are checked:
 *   1. PackageIdentifier DismPackageName (an identity) or DismPackagePath (a .cab or expanded
 *      folder, whose identity is read; an .msu is E_INVALIDARG); anything else E_INVALIDARG;
 *   2. read-only mount (0x80070005);  3. unknown identity: 0x800F080C "Package X is unknown.";
 *   4. UninstallPending: S_OK, nothing changes;
 *   5. permanent=1 or release type Foundation: 0x800F0825 CBS_E_CANNOT_UNINSTALL;
 *   6. pending-block, as for add;  7. progress as for add;
 *   8. online, restart=Required, Installed -> UninstallPending>NotPresent and 3010; otherwise the
 *      entry and its .mum go at once, and the newest package it superseded is Installed again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "lab.h"
#include "model_paths.h"

#define E_NOT_APPLICABLE        LAB_HR(0x800F081E)
#define E_SERVICING_STACK       LAB_HR(0x800F0823)
#define E_CANNOT_UNINSTALL      LAB_HR(0x800F0825)
#define E_UNKNOWN_PACKAGE       LAB_HR(0x800F080C)
#define E_NOT_SUPPORTED         LAB_HR(0x80070032)

static int any_pending(const lab_pkg_store *st, const char *except)
{
    for (size_t i = 0; i < st->count; i++)
        if (servicing_is_pending(st->items[i].state) && (!except || utf8_casecmp(st->items[i].identity, except) != 0))
            return (int)i + 1;
    return 0;
}

static HRESULT check_pending_block(const lab_session *s, const lab_pkg_store *st, const char *identity)
{
    HRESULT code;
    if (!servicing_pending_block(s, &code))
        return LAB_S_OK;
    int k = any_pending(st, identity);
    if (k)
        return lab_fail(code, "A reboot is pending (%s is %s); %s cannot be changed until the host restarts.",
                        st->items[k - 1].identity, feature_state_name(st->items[k - 1].state), identity);
    int state = 0;
    char *feature = servicing_pending_feature(s, &state);
    HRESULT hr = LAB_S_OK;
    if (feature)
        hr = lab_fail(code, "A reboot is pending (feature %s is %s); %s cannot be changed until the host restarts.",
                      feature, feature_state_name(state), identity);
    free(feature);
    return hr;
}

/* requires=name>=version[,...]: each such package Installed or InstallPending. */
static HRESULT check_requires(const lab_pkg_store *st, const lab_pkg_meta *m)
{
    if (!m->requires || !*m->requires)
        return LAB_S_OK;
    size_t n = 0;
    char **items = split_list(m->requires, ',', &n);
    HRESULT hr = LAB_S_OK;
    for (size_t i = 0; i < n && hr == LAB_S_OK; i++) {
        char *ge = strstr(items[i], ">=");
        const char *min = ge ? ge + 2 : "0";
        if (ge)
            *ge = '\0';
        int met = 0;
        for (size_t j = 0; j < st->count && !met; j++) {
            const lab_pkg_entry *e = &st->items[j];
            const char *tilde = strchr(e->identity, '~');
            size_t len = tilde ? (size_t)(tilde - e->identity) : strlen(e->identity);
            const char *version = strrchr(e->identity, '~');
            met = (e->state == DismStateInstalled || e->state == DismStateInstallPending) &&
                  strlen(items[i]) == len && strncasecmp(e->identity, items[i], len) == 0 &&
                  package_version_cmp(version ? version + 1 : "", min) >= 0;
        }
        if (!met)
            hr = lab_fail(E_SERVICING_STACK, "The package %s needs %s %s or later, which is not installed; add that "
                          "servicing stack update first.", m->identity, items[i], min);
    }
    free_list(items, n);
    return hr;
}

/* 4f's second half: what this package supersedes. */
static void supersede(lab_pkg_store *st, const lab_pkg_meta *m)
{
    const char *last = strrchr(m->identity, '~');
    size_t family = last ? (size_t)(last - m->identity + 1) : 0;
    for (size_t i = 0; i < st->count; i++) {
        lab_pkg_entry *e = &st->items[i];
        const char *version = strrchr(e->identity, '~');
        if (utf8_casecmp(e->identity, m->identity) == 0 || !version ||
            (e->state != DismStateInstalled && e->state != DismStateInstallPending) ||
            package_version_cmp(version + 1, m->version) >= 0)
            continue;
        const char *tilde = strchr(e->identity, '~');
        char *name = strndup(e->identity, tilde ? (size_t)(tilde - e->identity) : strlen(e->identity));
        int same_family = family && strncasecmp(e->identity, m->identity, family) == 0 &&
                          (size_t)(version - e->identity + 1) == family;
        int named = 0;
        size_t n = 0;
        char **names = (m->supersedes && name) ? split_list(m->supersedes, ',', &n) : NULL;
        for (size_t j = 0; j < n && !named; j++)
            named = strcasecmp(names[j], name) == 0;
        free_list(names, n);
        free(name);
        if (same_family || named) {
            log_write(LAB_LOG_INFO, "DismAddPackage", "%s supersedes %s", m->identity, e->identity);
            e->state = DismStateSuperseded;
            e->next_state = -1;
        }
    }
}

static HRESULT add_one(const lab_session *s, lab_pkg_store *st, const lab_pkg_meta *m, int ignore_check,
                       int prevent_pending, int *pending, int *changed)
{
    int k = packages_find(st, m->identity);
    if (k >= 0 && st->items[k].state != DismStateUninstallPending) {
        log_write(LAB_LOG_INFO, "DismAddPackage", "%s is already %s; nothing to do", st->items[k].identity,
                  feature_state_name(st->items[k].state));
        return LAB_S_OK;
    }
    if (k >= 0) {   /* a pending removal is cancelled */
        st->items[k].state = DismStateInstalled;
        st->items[k].next_state = -1;
        *changed = 1;
        return LAB_S_OK;
    }
    char *why = NULL;
    HRESULT hr = LAB_S_OK;
    if (!ignore_check && !packages_applicable(st, m, &why))
        hr = lab_fail(E_NOT_APPLICABLE, "The package %s is not applicable to this image: %s.", m->identity,
                      why ? why : "");
    free(why);
    if (hr == LAB_S_OK)
        hr = check_requires(st, m);
    if (hr == LAB_S_OK)
        hr = check_pending_block(s, st, m->identity);
    int ends_pending = s->online ? m->restart == DismRestartRequired : m->offline == DismFullyOfflineNotInstallable;
    int other = any_pending(st, NULL);
    if (hr == LAB_S_OK && prevent_pending && (ends_pending || other))
        hr = lab_fail(LAB_E_EXCLUSIVE_WOULD_MERGE, "PreventPending is set and %s %s.", m->identity,
                      ends_pending ? "would wait for a reboot (it is installed in the online phase)"
                                   : "cannot be added while another package waits for a reboot");
    if (hr != LAB_S_OK)
        return hr;
    lab_pkg_entry e = { 0 };
    e.identity = strdup(m->identity);
    e.install_time = lab_now_iso();
    e.state = ends_pending ? DismStateInstallPending : DismStateInstalled;
    e.next_state = ends_pending && s->online ? DismStateInstalled : -1;
    e.release_type = m->release_type;
    e.permanent = m->permanent;
    if (!e.identity || !e.install_time) {
        free(e.identity);
        free(e.install_time);
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    }
    lab_pkg_entry *grown = realloc(st->items, (st->count + 1) * sizeof(*grown));
    if (!grown) {
        free(e.identity);
        free(e.install_time);
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    }
    st->items = grown;
    st->items[st->count++] = e;
    supersede(st, m);
    log_write(LAB_LOG_INFO, "DismAddPackage", "%s: NotPresent -> %s", m->identity, feature_state_name(e.state));
    *pending |= ends_pending && s->online;
    *changed = 2;   /* 2: a .mum to write */
    return LAB_S_OK;
}

/* The store is written after the last cancellable report (800), then 1000 is reported. */
static HRESULT save_and_finish(lab_session *s, lab_pkg_store *st, int pending, lab_progress *p)
{
    if (pending && s->online) {
        free(st->pending_boot);
        st->pending_boot = lab_boot_id();
    } else if (!any_pending(st, NULL)) {
        free(st->pending_boot);
        st->pending_boot = NULL;
    }
    HRESULT hr = packages_save(st);
    if (hr == LAB_S_OK)
        progress_finish(p);
    return hr;
}

HRESULT packages_add(lab_session *s, const char *path, int ignore_check, int prevent_pending, lab_progress *p)
{
    p->total = 1000;
    lab_pkg_meta *metas = NULL;
    size_t count = 0;
    int kind = 0, fd = -1, pending = 0;
    lab_pkg_store st = { 0 };
    HRESULT hr = package_file_load("PackagePath", path, &metas, &count, &kind);
    if (hr == LAB_S_OK && kind == LAB_PKG_MSU && s->online)
        hr = lab_fail(E_NOT_SUPPORTED, "An .msu package can be added to an offline image only (%s); on a running "
                      "Windows, install it with wusa.exe or add its .cab files.", path);
    if (hr == LAB_S_OK)
        hr = packages_open(s, &st, &fd);
    if (hr == LAB_S_OK)
        hr = servicing_check_writable(s, "packages");
    int *changed = hr == LAB_S_OK ? calloc(count ? count : 1, sizeof(int)) : NULL;
    if (hr == LAB_S_OK && !changed)
        hr = lab_fail(LAB_E_OUTOFMEMORY, NULL);
    for (size_t i = 0; hr == LAB_S_OK && i < count; i++)
        hr = add_one(s, &st, &metas[i], ignore_check, prevent_pending, &pending, &changed[i]);
    int any = 0;
    for (size_t i = 0; hr == LAB_S_OK && i < count; i++)
        any |= changed[i];
    if (hr == LAB_S_OK)
        hr = progress_report(p, 100);
    if (hr == LAB_S_OK)
        hr = progress_report(p, 400);
    if (hr == LAB_S_OK)
        hr = progress_report(p, 800);
    for (size_t i = 0; hr == LAB_S_OK && i < count; i++)
        if (changed[i] == 2)
            hr = packages_write_meta(&st, &metas[i]);
    if (hr == LAB_S_OK && any)
        hr = save_and_finish(s, &st, pending, p);
    else if (hr == LAB_S_OK)
        progress_finish(p);
    free(changed);
    packages_close(&st, fd);
    package_metas_free(metas, count);
    return (hr == LAB_S_OK && pending) ? LAB_S_REBOOT : hr;
}

/* Rule 1: the identity a DismRemovePackage Identifier names (malloc'd). */
static HRESULT identity_of(const char *identifier, int kind, char **identity)
{
    *identity = NULL;
    if (kind == DismPackageName) {
        *identity = strdup(identifier);
        return *identity ? LAB_S_OK : lab_fail(LAB_E_OUTOFMEMORY, NULL);
    }
    if (kind != DismPackagePath)
        return lab_fail(LAB_E_INVALIDARG, "PackageIdentifier must be DismPackageName or DismPackagePath.");
    if (package_path_is_msu(identifier))
        return lab_fail(LAB_E_INVALIDARG, "DismRemovePackage takes a package name, a .cab or an expanded package "
                        "folder, not an .msu (%s).", identifier);
    lab_pkg_meta *metas = NULL;
    size_t count = 0;
    int file_kind = 0;
    HRESULT hr = package_file_load("Identifier", identifier, &metas, &count, &file_kind);
    if (hr == LAB_S_OK && !(*identity = strdup(metas[0].identity)))
        hr = lab_fail(LAB_E_OUTOFMEMORY, NULL);
    package_metas_free(metas, count);
    return hr;
}

HRESULT packages_remove(lab_session *s, const char *identifier, int kind, lab_progress *p)
{
    p->total = 1000;
    lab_pkg_store st = { 0 };
    int fd = -1, k = -1, pending = 0;
    char *identity = NULL;
    HRESULT hr = identity_of(identifier, kind, &identity);
    if (hr == LAB_S_OK)
        hr = packages_open(s, &st, &fd);
    if (hr == LAB_S_OK)
        hr = servicing_check_writable(s, "packages");
    if (hr == LAB_S_OK && (k = packages_find(&st, identity)) < 0)
        hr = lab_fail(E_UNKNOWN_PACKAGE, "Package %s is unknown.", identity);
    lab_pkg_entry *e = k >= 0 ? &st.items[k] : NULL;
    int noop = e && e->state == DismStateUninstallPending;
    if (hr == LAB_S_OK && !noop && (e->permanent || e->release_type == DismReleaseTypeFoundation))
        hr = lab_fail(E_CANNOT_UNINSTALL, "Package %s is a permanent package and cannot be uninstalled.", e->identity);
    if (hr == LAB_S_OK && !noop)
        hr = check_pending_block(s, &st, e->identity);
    lab_pkg_meta m;
    int restart = DismRestartNo;
    if (hr == LAB_S_OK && !noop && (hr = packages_meta(&st, k, &m)) == LAB_S_OK) {
        restart = m.restart;
        package_meta_free(&m);
    }
    if (hr == LAB_S_OK)
        hr = progress_report(p, 100);
    if (hr == LAB_S_OK)
        hr = progress_report(p, 400);
    if (hr == LAB_S_OK)
        hr = progress_report(p, 800);   /* the last point a cancel changes nothing */
    if (hr == LAB_S_OK && noop) {
        progress_finish(p);
        log_write(LAB_LOG_INFO, "DismRemovePackage", "%s is already UninstallPending; nothing to do", e->identity);
    } else if (hr == LAB_S_OK && e->state == DismStateInstalled && s->online && restart == DismRestartRequired) {
        log_write(LAB_LOG_INFO, "DismRemovePackage", "%s: Installed -> UninstallPending", e->identity);
        e->state = DismStateUninstallPending;
        e->next_state = DismStateNotPresent;
        pending = 1;
        hr = save_and_finish(s, &st, pending, p);
    } else if (hr == LAB_S_OK) {
        log_write(LAB_LOG_INFO, "DismRemovePackage", "%s: %s -> removed", e->identity, feature_state_name(e->state));
        packages_delete(&st, k);
        packages_restore_superseded(&st, identity);
        hr = save_and_finish(s, &st, 0, p);
    }
    packages_close(&st, fd);
    free(identity);
    return (hr == LAB_S_OK && pending) ? LAB_S_REBOOT : hr;
}
