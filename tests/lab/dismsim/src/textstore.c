/*
 * The text files the lab keeps servicing state in (features, capabilities,
 * packages, drivers): one host-wide lock per kind, `key=value` lines with
 * `|`-separated fields, and rewrites that replace the file atomically.
 *
 * Each model file owns what its lines mean; this file owns only how they are
 * stored, so a torn write or an interleaved pair of processes looks the same
 * for every kind (README "On-disk state").
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <unistd.h>
#include "lab.h"

static const char *const state_names[] = {
    "NotPresent", "UninstallPending", "Staged", "Removed", "Installed", "InstallPending",
    "Superseded", "PartiallyInstalled",
};
static const char *const restart_names[] = { "No", "Possible", "Required" };

int textstore_parse_enum(const char *v, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcasecmp(v, names[i]) == 0)
            return i;
    char *end;
    long x = strtol(v, &end, 10);
    return (*v && !*end && x >= 0 && x < n) ? (int)x : -1;
}

const char *feature_state_name(int state)
{
    return (state >= 0 && state <= DismStatePartiallyInstalled) ? state_names[state] : "?";
}

int textstore_parse_state(const char *v)
{
    /* "Resolved" is how older catalogs spelled a removed payload. */
    return strcasecmp(v, "Resolved") == 0 ? DismStateRemoved : textstore_parse_enum(v, state_names, 8);
}

const char *textstore_restart_name(int restart)
{
    return (restart >= 0 && restart <= 2) ? restart_names[restart] : "?";
}

int textstore_parse_restart(const char *v)
{
    return textstore_parse_enum(v, restart_names, 3);
}

int textstore_fields(char *value, char **field, int max)
{
    int n = 0;
    for (char *p = value; n < max;) {
        field[n++] = p;
        char *bar = strchr(p, '|');
        if (!bar)
            break;
        *bar = '\0';
        p = bar + 1;
    }
    return n;
}

char *textstore_next_state(char *state_field)
{
    char *next = strchr(state_field, '>');
    if (next)
        *next++ = '\0';
    return next;
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

HRESULT textstore_lock(const char *kinds, const char *kind, int *fd_out)
{
    char *dir = lab_path("state");
    char *path = lab_path("state/%s.lock", kinds);
    int fd = (dir && path && lab_mkdirs(dir) == 0) ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666) : -1;
    free(dir);
    free(path);
    if (fd >= 0 && flock(fd, LOCK_EX) != 0) {
        close(fd);
        fd = -1;
    }
    *fd_out = fd;
    return fd >= 0 ? LAB_S_OK : lab_fail(LAB_E_FAIL, "The lab's %s lock could not be taken.", kind);
}

void textstore_unlock(int fd)
{
    if (fd >= 0) {
        flock(fd, LOCK_UN);
        close(fd);
    }
}

HRESULT textstore_parse(FILE *f, const char *path, const char *what, textstore_line_fn on_line, void *ctx)
{
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    HRESULT hr = LAB_S_OK;
    while (hr == LAB_S_OK && getline(&line, &cap, f) >= 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || !line[0])
            continue;
        char *eq = strchr(line, '=');
        if (!eq) {
            hr = lab_fail(LAB_E_FAIL, "The lab %s %s is malformed at line %zu.", what, path, lineno);
            break;
        }
        *eq = '\0';
        hr = on_line(ctx, line, eq + 1, lineno);
    }
    free(line);
    return hr;
}

HRESULT textstore_rewrite(const char *path, const char *what, textstore_write_fn write_lines, const void *ctx)
{
    char *tmp = lab_strdup_printf("%s.tmp", path);
    FILE *f = tmp ? fopen(tmp, "w") : NULL;
    if (!f) {
        free(tmp);
        return lab_fail(LAB_E_ACCESS_DENIED, "The lab %s %s cannot be written.", what, path);
    }
    write_lines(f, ctx);
    /* fsync before rename: a crash leaves the old file or the new one, never half of one. */
    int bad = ferror(f) || fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        free(tmp);
        return lab_fail(LAB_E_ACCESS_DENIED, "The lab %s %s cannot be written.", what, path);
    }
    free(tmp);
    return LAB_S_OK;
}
