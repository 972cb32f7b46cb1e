/*
 * Call accounting: every exported DISM function, counted per simulated host.
 *
 * call_enter() (abi_call.c), the prologue every export runs, calls calls_count() first,
 * before any other check, so a call is counted whether it succeeds, fails or is refused
 * (not initialized, injected fault).  Each call appends one line
 *
 *     <pid> <FunctionName>\n
 *
 * to $DISM_LAB_ROOT/lab/dism-calls.log, opened O_APPEND and written under an exclusive
 * flock, so lines of concurrent processes never interleave and `labctl.py calls HOST
 * --reset` (which truncates under the same lock) never cuts one in half.  Readers (labctl,
 * the lab host's wire log) count lines, by function and, for one helper process, by pid.
 * Without DISM_LAB_ROOT there is no host to bill, so nothing is written.  The cost is one
 * open/flock/write/close per call; errors are ignored (accounting never fails a call).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "lab.h"

#define CALLS_LOG "lab/dism-calls.log"

static int open_log(void)
{
    char *path = lab_path(CALLS_LOG);
    if (!path)
        return -1;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0 && errno == ENOENT) {
        char *dir = lab_path("lab");
        if (dir && lab_mkdirs(dir) == 0)
            fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
        free(dir);
    }
    free(path);
    return fd;
}

void calls_count(const char *func)
{
    if (!func || !lab_root())
        return;
    int saved = errno;
    char line[160];
    int len = snprintf(line, sizeof(line), "%ld %s\n", (long)getpid(), func);
    int fd = open_log();
    if (fd >= 0 && len > 0 && (size_t)len < sizeof(line) && flock(fd, LOCK_EX) == 0) {
        ssize_t put = write(fd, line, (size_t)len);
        (void)put;
        flock(fd, LOCK_UN);
    }
    if (fd >= 0)
        close(fd);
    errno = saved;
}
