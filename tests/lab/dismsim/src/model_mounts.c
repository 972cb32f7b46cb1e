/*
 * The machine-wide mount registry (Windows keeps it under
 * HKLM\SOFTWARE\Microsoft\WIMMount\Mounted Images; the lab keeps files).
 *
 * $DISM_LAB_ROOT/state/mounts/<id>.mount, one key=value per line:
 *     mount_path=C:\mount\one        (Windows path; a /lab/path is accepted)
 *     image_path=C:\images\a.wim
 *     image_index=1
 *     mount_mode=readwrite|readonly  (or 0|1)
 *     status=ok|needs_remount|invalid (or 0|1|2)
 *     boot_id=<state/boot-id when mounted or remounted>
 *     optimize=0|1                   (DISM_MOUNT_OPTIMIZE; recorded only)
 *
 * The registry outlives processes.  A mount recorded as ok under an earlier
 * boot id reports NeedsRemount, as a real mount does after a reboot; tests
 * "reboot" the host by changing $DISM_LAB_ROOT/state/boot-id.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include "lab.h"

static char *read_boot_id(void)
{
    char *path = lab_path("state/boot-id");
    FILE *f = path ? fopen(path, "r") : NULL;
    free(path);
    char buf[128] = "0";
    if (f) {
        if (!fgets(buf, sizeof(buf), f))
            strcpy(buf, "0");
        fclose(f);
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    return strdup(buf);
}

char *lab_boot_id(void)
{
    return read_boot_id();
}

static int parse_enum(const char *v, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcasecmp(v, names[i]) == 0)
            return i;
    return (int)strtol(v, NULL, 10);
}

static char *as_windows_path(const char *v)
{
    return v[0] == '/' ? winpath_from_lab(v) : strdup(v);
}

static void apply_key(lab_mount *m, const char *key, const char *v, char **boot)
{
    static const char *const modes[] = { "readwrite", "readonly" };
    static const char *const states[] = { "ok", "needs_remount", "invalid" };
    if (strcmp(key, "mount_path") == 0)
        m->mount_path = as_windows_path(v);
    else if (strcmp(key, "image_path") == 0)
        m->image_path = as_windows_path(v);
    else if (strcmp(key, "image_index") == 0)
        m->index = (unsigned)strtoul(v, NULL, 10);
    else if (strcmp(key, "mount_mode") == 0)
        m->mode = parse_enum(v, modes, 2);
    else if (strcmp(key, "status") == 0)
        m->status = parse_enum(v, states, 3);
    else if (strcmp(key, "boot_id") == 0)
        *boot = strdup(v);
    else if (strcmp(key, "optimize") == 0)
        m->optimize = strtol(v, NULL, 10) != 0;
}

/* Reads one .mount file; 0 on success (a file without mount_path is skipped). */
static int load_mount(const char *path, const char *id, const char *boot_id, lab_mount *m)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    memset(m, 0, sizeof(*m));
    char line[4096], *boot = NULL;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *eq = strchr(line, '=');
        if (eq) {
            *eq = '\0';
            apply_key(m, line, eq + 1, &boot);
        }
    }
    fclose(f);
    if (boot && boot_id && strcmp(boot, boot_id) != 0 && m->status == DismMountStatusOk)
        m->status = DismMountStatusNeedsRemount;
    free(boot);
    m->id = strdup(id);
    if (!m->mount_path || !m->id) {
        free(m->mount_path);
        free(m->image_path);
        free(m->id);
        return -1;
    }
    return 0;
}

static int by_id(const void *a, const void *b)
{
    return strcmp(((const lab_mount *)a)->id, ((const lab_mount *)b)->id);
}

HRESULT mounts_list(lab_mount **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    char *dir = lab_path("state/mounts");
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d) {
        free(dir);
        return LAB_S_OK;   /* no registry yet: nothing is mounted */
    }
    char *boot_id = read_boot_id();
    size_t cap = 0, n = 0;
    lab_mount *list = NULL;
    for (struct dirent *e = readdir(d); e; e = readdir(d)) {
        size_t len = strlen(e->d_name);
        if (len <= 6 || strcmp(e->d_name + len - 6, ".mount") != 0)
            continue;
        if (n == cap) {
            lab_mount *bigger = realloc(list, (cap = cap ? cap * 2 : 8) * sizeof(*list));
            if (!bigger)
                break;
            list = bigger;
        }
        char *path = lab_strdup_printf("%s/%s", dir, e->d_name);
        char *id = strndup(e->d_name, len - 6);
        if (path && id && load_mount(path, id, boot_id, &list[n]) == 0)
            n++;
        free(path);
        free(id);
    }
    closedir(d);
    free(dir);
    free(boot_id);
    if (n)
        qsort(list, n, sizeof(*list), by_id);
    *out = list;
    *count = n;
    return LAB_S_OK;
}

HRESULT mounts_save(const lab_mount *m)
{
    static const char *const modes[] = { "readwrite", "readonly" };
    static const char *const states[] = { "ok", "needs_remount", "invalid" };
    char *dir = lab_path("state/mounts");
    char *tmp = lab_path("state/mounts/%s.tmp", m->id);
    char *path = lab_path("state/mounts/%s.mount", m->id);
    char *boot_id = read_boot_id();
    FILE *f = (dir && tmp && path && lab_mkdirs(dir) == 0) ? fopen(tmp, "w") : NULL;
    int ok = f != NULL;
    if (f) {
        fprintf(f, "mount_path=%s\nimage_path=%s\nimage_index=%u\nmount_mode=%s\nstatus=%s\nboot_id=%s\n"
                "optimize=%d\n",
                m->mount_path, m->image_path, m->index, modes[m->mode == DismReadOnly],
                states[(unsigned)m->status <= 2 ? m->status : 2], boot_id ? boot_id : "0", m->optimize);
        ok = fclose(f) == 0 && rename(tmp, path) == 0;
    }
    free(dir);
    free(tmp);
    free(path);
    free(boot_id);
    return ok ? LAB_S_OK : lab_fail(LAB_E_FAIL, "The mount registry could not be written.");
}

HRESULT mounts_delete(const lab_mount *m)
{
    char *path = lab_path("state/mounts/%s.mount", m->id);
    int ok = path && (unlink(path) == 0 || errno == ENOENT);
    free(path);
    return ok ? LAB_S_OK : lab_fail(LAB_E_FAIL, "The mount registry entry %s could not be removed.", m->id);
}

/* Ids sort by mount time, so DismGetMountedImageInfo lists mounts in the order they were made. */
char *mounts_new_id(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return lab_strdup_printf("%010lld%09ld-%ld", (long long)t.tv_sec, t.tv_nsec, (long)getpid());
}

/* The entry whose mount folder is `lab_folder`, or -1. */
int mounts_find(const lab_mount *list, size_t n, const char *lab_folder)
{
    for (size_t i = 0; i < n; i++) {
        char *lab = NULL;
        if (winpath_to_lab(list[i].mount_path, &lab) != LAB_S_OK)
            continue;
        int same = lab_same_path(lab, lab_folder);
        free(lab);
        if (same)
            return (int)i;
    }
    return -1;
}

/* Mount, unmount, remount, commit and cleanup hold $DISM_LAB_ROOT/state/mount.lock
 * (flock) from their first check to their last write, so two processes cannot
 * both claim one folder or one read-write image. */
HRESULT mounts_lock(int *fd_out)
{
    char *dir = lab_path("state");
    char *path = lab_path("state/mount.lock");
    int fd = (dir && path && lab_mkdirs(dir) == 0) ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666) : -1;
    free(dir);
    free(path);
    if (fd < 0 || flock(fd, LOCK_EX) != 0) {
        if (fd >= 0)
            close(fd);
        *fd_out = -1;
        return lab_fail(LAB_E_FAIL, "The lab's mount lock could not be taken.");
    }
    *fd_out = fd;
    return LAB_S_OK;
}

void mounts_unlock(int fd)
{
    if (fd >= 0) {
        flock(fd, LOCK_UN);
        close(fd);
    }
}

void mounts_free_list(lab_mount *list, size_t count)
{
    for (size_t i = 0; list && i < count; i++) {
        free(list[i].id);
        free(list[i].mount_path);
        free(list[i].image_path);
    }
    free(list);
}
