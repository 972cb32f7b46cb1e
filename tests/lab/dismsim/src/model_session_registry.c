/*
 * Open sessions of every process on the simulated host, so unmount and
 * remount can refuse while any process still services the image
 * (DISMAPI_E_OPEN_HANDLES_UNABLE_TO_UNMOUNT/REMOUNT_IMAGE_PATH).
 *
 * $DISM_LAB_ROOT/state/sessions/<pid>-<id>, one key=value per line:
 *     image_path=C:\mount\one       (Windows path of the image root; online: C:\)
 *     start_time=<the process's start time, /proc/<pid>/stat field 22>
 *
 * Written by DismOpenSession, removed by DismCloseSession.  An entry whose
 * process is gone (dead pid, or a pid reused by a process with another start
 * time) is stale: it is ignored and removed, as Windows drops a crashed
 * process's handles.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lab.h"

/* Start time of `pid` in clock ticks since boot, or 0 when unknown. */
static unsigned long long start_time(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t got = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[got] = '\0';
    char *p = strrchr(buf, ')');   /* the command name may hold spaces */
    unsigned long long t = 0;
    /* after ")": state(3) ... starttime(22) is the 20th field */
    for (int field = 3; p && field <= 22; field++) {
        p = strchr(p + 1, ' ');
        if (p && field == 22)
            t = strtoull(p + 1, NULL, 10);
    }
    return t;
}

static char *entry_path(long pid, UINT id)
{
    return lab_path("state/sessions/%ld-%u", pid, id);
}

HRESULT sessreg_add(UINT id, const char *image_root_lab)
{
    char *dir = lab_path("state/sessions");
    char *path = entry_path((long)getpid(), id);
    char *tmp = path ? lab_strdup_printf("%s.tmp", path) : NULL;
    char *win = winpath_from_lab(image_root_lab);
    FILE *f = (dir && tmp && win && lab_mkdirs(dir) == 0) ? fopen(tmp, "w") : NULL;
    int ok = f != NULL;
    if (f) {
        fprintf(f, "image_path=%s\nstart_time=%llu\n", win, start_time((long)getpid()));
        ok = fclose(f) == 0 && rename(tmp, path) == 0;
    }
    free(dir);
    free(path);
    free(tmp);
    free(win);
    return ok ? LAB_S_OK : lab_fail(LAB_E_FAIL, "The lab's session registry could not be written.");
}

void sessreg_remove(UINT id)
{
    char *path = entry_path((long)getpid(), id);
    if (path)
        unlink(path);
    free(path);
}

/* Reads one entry; returns 1 when its process is alive and it names `lab_folder`. */
static int entry_matches(const char *path, long pid, const char *lab_folder)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[4096], *image = NULL;
    unsigned long long recorded = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "image_path=", 11) == 0 && !image)
            image = strdup(line + 11);
        else if (strncmp(line, "start_time=", 11) == 0)
            recorded = strtoull(line + 11, NULL, 10);
    }
    fclose(f);
    int alive = (kill((pid_t)pid, 0) == 0 || errno == EPERM) && start_time(pid) == recorded;
    if (!alive)
        unlink(path);
    char *lab = NULL;
    int match = alive && image && winpath_to_lab(image, &lab) == LAB_S_OK && lab_same_path(lab, lab_folder);
    free(lab);
    free(image);
    return match;
}

size_t sessreg_count_on(const char *lab_folder)
{
    char *dir = lab_path("state/sessions");
    DIR *d = dir ? opendir(dir) : NULL;
    size_t n = 0;
    for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d)) {
        char *end = NULL;
        long pid = strtol(e->d_name, &end, 10);
        if (pid <= 0 || !end || *end != '-' || strstr(e->d_name, ".tmp"))
            continue;
        char *path = lab_strdup_printf("%s/%s", dir, e->d_name);
        if (path && entry_matches(path, pid, lab_folder))
            n++;
        free(path);
    }
    if (d)
        closedir(d);
    free(dir);
    return n;
}
