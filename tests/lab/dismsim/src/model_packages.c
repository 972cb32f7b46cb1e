/*
 * The package store of an image (dism-api.md 2.2, 5.3; README "The package model").
 *
 * Every image keeps its packages in its own Windows tree, so a commit keeps package changes,
 * a discard drops them, each WIM index has its own and the running OS (drives/C/Windows) has
 * its own:
 *
 *   <WindowsDirectory>\servicing\LabPackages.txt
 *     pending_boot=<boot id>     written while an online change waits for a reboot
 *     package=<identity>|<State[>Next]>|<ReleaseType>|<install time, ISO 8601 UTC>|<permanent 0|1>
 *   <WindowsDirectory>\servicing\Packages\<identity>.mum
 *     the package file's key=value lines, copied when it was added (DismGetPackageInfo by name
 *     reads them), plus source_file=<the file name it was added from>
 *
 * Rules kept here, in the order the package calls apply them:
 *   1. the store is read under the host's package lock (state/packages.lock);
 *   2. a missing LabPackages.txt holds the image's foundation package only (Installed,
 *      Foundation, permanent), as every Windows image has one;
 *   3. online: pending states resolve once state/boot-id differs from pending_boot:
 *      InstallPending>Installed becomes Installed, UninstallPending>NotPresent leaves the store
 *      (with its .mum) and the newest package it superseded is Installed again;
 *   4. identities compare case-insensitively and come back in the file's spelling;
 *   5. applicability: a package applies when its applies.build, applies.arch and
 *      applies.edition (each absent = any) match the image, and no package of the same name,
 *      token, architecture and language with a higher version is Installed or InstallPending
 *      (a newer cumulative update is already there).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include "lab.h"
#include "model_state.h"

char *lab_now_iso(void)
{
    time_t now = time(NULL);
    struct tm tm;
    char stamp[32];
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    return strdup(stamp);
}

static void entry_free(lab_pkg_entry *e)
{
    free(e->identity);
    free(e->install_time);
    memset(e, 0, sizeof(*e));
}

void packages_free(lab_pkg_store *st)
{
    for (size_t i = 0; i < st->count; i++)
        entry_free(&st->items[i]);
    free(st->items);
    free(st->path);
    free(st->mum_dir);
    free(st->pending_boot);
    free(st->arch);
    free(st->edition);
    memset(st, 0, sizeof(*st));
}

static int parse_entry(char *v, lab_pkg_entry *e)
{
    char *field[5] = { 0 };
    if (textstore_fields(v, field, 5) < 5 || !field[0][0])
        return -1;
    char *next = textstore_next_state(field[1]);
    e->state = textstore_parse_state(field[1]);
    e->next_state = next ? textstore_parse_state(next) : -1;
    e->release_type = package_release_type(field[2]);
    e->permanent = strcmp(field[4], "1") == 0;
    if (e->state < 0 || (next && e->next_state < 0) || e->release_type < 0)
        return -1;
    e->identity = strdup(field[0]);
    e->install_time = strdup(field[3]);
    return (e->identity && e->install_time) ? 0 : -1;
}

static HRESULT push_entry(lab_pkg_store *st, const lab_pkg_entry *e)
{
    lab_pkg_entry *grown = realloc(st->items, (st->count + 1) * sizeof(*grown));
    if (!grown)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    st->items = grown;
    st->items[st->count++] = *e;
    return LAB_S_OK;
}

static HRESULT package_line(void *ctx, const char *key, char *v, size_t lineno)
{
    lab_pkg_store *st = ctx;
    if (strcmp(key, "pending_boot") == 0) {
        free(st->pending_boot);
        st->pending_boot = strdup(v);
    } else if (strcmp(key, "package") == 0) {
        lab_pkg_entry e = { 0 };
        HRESULT hr = parse_entry(v, &e) == 0 ? push_entry(st, &e)
                     : lab_fail(LAB_E_FAIL, "The lab package store %s has a bad package at line %zu.", st->path,
                                lineno);
        if (hr != LAB_S_OK)
            entry_free(&e);
        return hr;
    }
    return LAB_S_OK;
}

/* Rule 2: the foundation package every image has. */
static HRESULT add_foundation(lab_pkg_store *st)
{
    lab_pkg_entry e = { 0 };
    e.identity = lab_strdup_printf("Microsoft-Windows-Foundation-Package~31bf3856ad364e35~%s~~10.0.%u.1",
                                   st->arch ? st->arch : "amd64", st->build);
    e.install_time = strdup("");
    e.state = DismStateInstalled;
    e.next_state = -1;
    e.release_type = DismReleaseTypeFoundation;
    e.permanent = 1;
    HRESULT hr = (e.identity && e.install_time) ? push_entry(st, &e) : lab_fail(LAB_E_OUTOFMEMORY, NULL);
    if (hr != LAB_S_OK)
        entry_free(&e);
    return hr;
}

static char *read_edition(const lab_session *s)
{
    char *path = lab_strdup_printf("%s/System32/lab-edition.txt", s->windows_dir);
    FILE *f = path ? fopen(path, "r") : NULL;
    free(path);
    char word[128] = "";
    if (f) {
        if (fscanf(f, "%127s", word) != 1)
            word[0] = '\0';
        fclose(f);
    }
    return strdup(word);
}

static HRESULT packages_read(const lab_session *s, lab_pkg_store *st)
{
    memset(st, 0, sizeof(*st));
    lab_catalog fc;
    HRESULT hr = features_read(s, &fc);
    if (hr == LAB_S_OK) {
        st->build = fc.build;
        st->arch = strdup(fc.arch ? fc.arch : "amd64");
    }
    features_free(&fc);
    if (hr != LAB_S_OK)
        return hr;
    st->edition = read_edition(s);
    st->path = lab_strdup_printf("%s/servicing/LabPackages.txt", s->windows_dir);
    st->mum_dir = lab_strdup_printf("%s/servicing/Packages", s->windows_dir);
    if (!st->arch || !st->edition || !st->path || !st->mum_dir)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    FILE *f = fopen(st->path, "r");
    if (!f)
        return add_foundation(st);
    hr = textstore_parse(f, st->path, "package store", package_line, st);
    fclose(f);
    return hr;
}

static void package_lines(FILE *f, const void *ctx)
{
    const lab_pkg_store *st = ctx;
    fprintf(f, "# DISM lab package store (tests/lab/dismsim/README.md, \"The package model\")\n");
    if (st->pending_boot)
        fprintf(f, "pending_boot=%s\n", st->pending_boot);
    for (size_t i = 0; i < st->count; i++) {
        const lab_pkg_entry *e = &st->items[i];
        fprintf(f, "package=%s|%s", e->identity, feature_state_name(e->state));
        if (e->next_state >= 0)
            fprintf(f, ">%s", feature_state_name(e->next_state));
        fprintf(f, "|%s|%s|%d\n", package_release_name(e->release_type), e->install_time, e->permanent);
    }
}

HRESULT packages_save(const lab_pkg_store *st)
{
    return textstore_rewrite(st->path, "package store", package_lines, st);
}

int packages_find(const lab_pkg_store *st, const char *identity)
{
    for (size_t i = 0; i < st->count; i++)
        if (utf8_casecmp(st->items[i].identity, identity) == 0)
            return (int)i;
    return -1;
}

static char *mum_path(const lab_pkg_store *st, const char *identity)
{
    return lab_strdup_printf("%s/%s.mum", st->mum_dir, identity);
}

/* The .mum copy of an installed package; without one (the foundation package of an image the
 * fixture builder did not describe) the identity alone. */
HRESULT packages_meta(const lab_pkg_store *st, int index, lab_pkg_meta *m)
{
    const lab_pkg_entry *e = &st->items[index];
    char *path = mum_path(st, e->identity);
    FILE *f = path ? fopen(path, "r") : NULL;
    char *body = NULL;
    size_t len = 0;
    if (f) {
        FILE *mem = open_memstream(&body, &len);
        char chunk[4096];
        size_t n;
        while (mem && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
            fwrite(chunk, 1, n, mem);
        if (mem)
            fclose(mem);
        fclose(f);
    }
    free(path);
    if (!body) {
        char part[5][256] = { "", "", "", "", "" };
        const char *p = e->identity;
        for (int i = 0; i < 5 && p; i++) {
            const char *t = strchr(p, '~');
            size_t n = t ? (size_t)(t - p) : strlen(p);
            snprintf(part[i], sizeof(part[i]), "%.*s", (int)(n < 255 ? n : 255), p);
            p = t ? t + 1 : NULL;
        }
        body = lab_strdup_printf("name=%s\ntoken=%s\narch=%s\nlanguage=%s\nversion=%s\nrelease_type=%s\n", part[0],
                                 part[1], part[2], part[3], part[4], package_release_name(e->release_type));
    }
    if (!body)
        return lab_fail(LAB_E_OUTOFMEMORY, NULL);
    HRESULT hr = package_meta_parse(body, "", e->identity, m);
    free(body);
    if (hr != LAB_S_OK)
        return lab_fail(LAB_E_FAIL, "The lab's copy of package %s is damaged.", e->identity);
    return LAB_S_OK;
}

HRESULT packages_write_meta(const lab_pkg_store *st, const lab_pkg_meta *m)
{
    char *path = mum_path(st, m->identity);
    FILE *f = (path && lab_mkdirs(st->mum_dir) == 0) ? fopen(path, "w") : NULL;
    int bad = !f;
    if (f) {
        fputs(m->body, f);
        if (m->body[0] && m->body[strlen(m->body) - 1] != '\n')
            fputc('\n', f);
        if (!strstr(m->body, "source_file="))
            fprintf(f, "source_file=%s\n", m->file_name);
        bad |= fclose(f) != 0;
    }
    free(path);
    return bad ? lab_fail(LAB_E_ACCESS_DENIED, "The lab package store %s cannot be written.", st->mum_dir)
               : LAB_S_OK;
}

void packages_delete(lab_pkg_store *st, int index)
{
    char *path = mum_path(st, st->items[index].identity);
    if (path)
        unlink(path);
    free(path);
    entry_free(&st->items[index]);
    memmove(&st->items[index], &st->items[index + 1], (st->count - (size_t)index - 1) * sizeof(st->items[0]));
    st->count--;
}

/* The identity without its version (name~token~arch~language~), for "same package, other
 * version" comparisons; malloc'd. */
static char *family(const char *identity)
{
    const char *last = strrchr(identity, '~');
    return last ? strndup(identity, (size_t)(last - identity + 1)) : strdup(identity);
}

static const char *version_of(const char *identity)
{
    const char *last = strrchr(identity, '~');
    return last ? last + 1 : "";
}

/* Rule 3's second half: when `identity` leaves, the newest Superseded package of its family
 * is Installed again. */
void packages_restore_superseded(lab_pkg_store *st, const char *identity)
{
    char *fam = family(identity);
    int best = -1;
    for (size_t i = 0; fam && i < st->count; i++) {
        const lab_pkg_entry *e = &st->items[i];
        if (e->state != DismStateSuperseded || strncasecmp(e->identity, fam, strlen(fam)) != 0)
            continue;
        if (best < 0 || package_version_cmp(version_of(e->identity), version_of(st->items[best].identity)) > 0)
            best = (int)i;
    }
    int newer_installed = 0;
    for (size_t i = 0; fam && best >= 0 && i < st->count; i++)
        newer_installed |= (st->items[i].state == DismStateInstalled || st->items[i].state == DismStateInstallPending)
                           && strncasecmp(st->items[i].identity, fam, strlen(fam)) == 0;
    if (best >= 0 && !newer_installed) {
        log_write(LAB_LOG_INFO, "packages", "%s is Installed again (%s left)", st->items[best].identity, identity);
        st->items[best].state = DismStateInstalled;
    }
    free(fam);
}

static int list_has(const char *list, const char *word)
{
    size_t n = 0;
    char **items = split_list(list, ',', &n);
    int found = 0;
    for (size_t i = 0; i < n && !found; i++)
        found = strcasecmp(items[i], word) == 0;
    free_list(items, n);
    return found;
}

/* Rule 5. */
int packages_applicable(const lab_pkg_store *st, const lab_pkg_meta *m, char **why)
{
    *why = NULL;
    if (m->applies_build && m->applies_build != st->build)
        *why = lab_strdup_printf("it is for build %u and the image is build %u", m->applies_build, st->build);
    else if (m->applies_arch && *m->applies_arch && strcasecmp(m->applies_arch, st->arch) != 0)
        *why = lab_strdup_printf("it is for %s and the image is %s", m->applies_arch, st->arch);
    else if (m->applies_edition && *m->applies_edition && !list_has(m->applies_edition, st->edition))
        *why = lab_strdup_printf("it is for the editions %s and the image is %s", m->applies_edition,
                                 st->edition);
    if (*why)
        return 0;
    char *fam = family(m->identity);
    for (size_t i = 0; fam && i < st->count && !*why; i++) {
        const lab_pkg_entry *e = &st->items[i];
        if ((e->state == DismStateInstalled || e->state == DismStateInstallPending) &&
            strncasecmp(e->identity, fam, strlen(fam)) == 0 &&
            package_version_cmp(version_of(e->identity), m->version) > 0)
            *why = lab_strdup_printf("a newer version, %s, is installed", e->identity);
    }
    free(fam);
    return *why ? 0 : 1;
}

/* Rule 3. */
static HRESULT resolve_after_reboot(lab_pkg_store *st)
{
    if (!servicing_rebooted_since(st->pending_boot))
        return LAB_S_OK;
    for (size_t i = 0; i < st->count;) {
        lab_pkg_entry *e = &st->items[i];
        if (e->next_state < 0) {
            i++;
            continue;
        }
        log_write(LAB_LOG_INFO, "packages", "Reboot completed %s: %s -> %s", e->identity,
                  feature_state_name(e->state), feature_state_name(e->next_state));
        if (e->next_state == DismStateNotPresent) {
            char *gone = strdup(e->identity);
            packages_delete(st, (int)i);
            if (gone)
                packages_restore_superseded(st, gone);
            free(gone);
            continue;
        }
        e->state = e->next_state;
        e->next_state = -1;
        i++;
    }
    free(st->pending_boot);
    st->pending_boot = NULL;
    return packages_save(st);
}

HRESULT packages_open(const lab_session *s, lab_pkg_store *st, int *lock_fd)
{
    memset(st, 0, sizeof(*st));
    HRESULT hr = textstore_lock("packages", "package", lock_fd);
    if (hr == LAB_S_OK)
        hr = packages_read(s, st);
    if (hr == LAB_S_OK && s->online)
        hr = resolve_after_reboot(st);
    return hr;
}

void packages_close(lab_pkg_store *st, int lock_fd)
{
    packages_free(st);
    textstore_unlock(lock_fd);
}

HRESULT packages_query(const lab_session *s, lab_pkg_store *st)
{
    int fd = -1;
    HRESULT hr = packages_open(s, st, &fd);
    textstore_unlock(fd);
    return hr;
}
