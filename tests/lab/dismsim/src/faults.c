/*
 * Fault injection for tests.
 *
 * $DISM_LAB_ROOT/lab/faults, one rule a line ('#' starts a comment line):
 *     <FunctionName> <nth|*> <action> [message...]
 * action: an HRESULT in hex. A failure code (high bit set) makes the call
 *         fail at once with that code and message; a success code (e.g.
 *         0x00000001, 0x00000BC2) lets the call do its work and then return
 *         that code instead of S_OK.
 *         "die": the process exits at once with status 70 (a crash).
 *
 * Calls are counted per function across processes in
 * $DISM_LAB_ROOT/lab/fault-counts/<FunctionName> (under flock), but only for
 * functions named by some rule, so an empty faults file costs nothing.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "lab.h"

typedef struct fault_rule {
    char nth[16];
    char action[32];
    char message[512];
} fault_rule;

#define MAX_RULES 32

/* Parses the rules for `func`; returns how many were found. */
static size_t load_rules(const char *func, fault_rule *rules)
{
    char *path = lab_path("lab/faults");
    FILE *f = path ? fopen(path, "r") : NULL;
    free(path);
    if (!f)
        return 0;
    char line[1024], name[128];
    size_t n = 0;
    while (n < MAX_RULES && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        fault_rule *r = &rules[n];
        int used = 0;
        if (sscanf(line, " %127s %15s %31s %n", name, r->nth, r->action, &used) < 3)
            continue;
        if (name[0] == '#' || strcmp(name, func) != 0)
            continue;
        snprintf(r->message, sizeof(r->message), "%s", line + used);
        n++;
    }
    fclose(f);
    return n;
}

/* Increments and returns the persistent call count of `func` (0 on error). */
static unsigned long bump_count(const char *func)
{
    char *dir = lab_path("lab/fault-counts");
    char *path = lab_path("lab/fault-counts/%s", func);
    unsigned long count = 0;
    int fd = -1;
    if (dir && path && lab_mkdirs(dir) == 0)
        fd = open(path, O_RDWR | O_CREAT, 0666);
    if (fd >= 0 && flock(fd, LOCK_EX) == 0) {
        char buf[32] = { 0 };
        ssize_t got = pread(fd, buf, sizeof(buf) - 1, 0);
        count = (got > 0 ? strtoul(buf, NULL, 10) : 0) + 1;
        int len = snprintf(buf, sizeof(buf), "%lu\n", count);
        if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)len, 0) != len)
            count = 0;
        flock(fd, LOCK_UN);
    }
    if (fd >= 0)
        close(fd);
    free(dir);
    free(path);
    return count;
}

static HRESULT fire(const char *func, unsigned long count, const fault_rule *r,
                    lab_fault_result *out)
{
    if (strcmp(r->action, "die") == 0)
        _exit(70);
    HRESULT hr = (HRESULT)(uint32_t)strtoul(r->action, NULL, 16);
    if (!LAB_FAILED(hr)) {
        out->late_success = hr;
        return LAB_S_OK;
    }
    if (r->message[0])
        return lab_fail_text(hr, r->message);
    char msg[160];
    snprintf(msg, sizeof(msg), "Injected fault: %s call %lu", func, count);
    return lab_fail_text(hr, msg);
}

HRESULT faults_check(const char *func, lab_fault_result *out)
{
    out->late_success = 0;
    if (!lab_root())
        return LAB_S_OK;
    fault_rule rules[MAX_RULES];
    size_t n = load_rules(func, rules);
    if (n == 0)
        return LAB_S_OK;
    unsigned long count = bump_count(func);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rules[i].nth, "*") == 0 || strtoul(rules[i].nth, NULL, 10) == count)
            return fire(func, count, &rules[i], out);
    }
    return LAB_S_OK;
}
