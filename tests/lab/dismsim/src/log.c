/*
 * dism.log: lines shaped like DISM's own,
 *   2024-05-01 10:00:00, Info                  DISM   API: PID=12 TID=34 <message> - DismInitializeInternal
 * The log stays open from DismInitialize to DismShutdown.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lab.h"

#define DEFAULT_LOG "C:\\Windows\\Logs\\DISM\\dism.log"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_file;
static int log_level;

/* The default log's folder exists on every Windows; create it in the lab.
 * An explicit path is used as given: its folder must already exist. */
static void ensure_default_dir(const char *lab)
{
    char *dir = strdup(lab);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash) {
        *slash = '\0';
        lab_mkdirs(dir);
    }
    free(dir);
}

HRESULT log_open(int level, const char *win_path)
{
    char *lab = NULL;
    HRESULT hr = winpath_to_lab(win_path ? win_path : DEFAULT_LOG, &lab);
    if (hr != LAB_S_OK)
        return lab_fail(LAB_E_LOGGING_DISABLED, "(%s)", win_path);
    if (!win_path)
        ensure_default_dir(lab);
    FILE *f = fopen(lab, "a");
    free(lab);
    if (!f)
        return lab_fail(LAB_E_LOGGING_DISABLED, "(%s)", win_path ? win_path : DEFAULT_LOG);
    pthread_mutex_lock(&log_lock);
    if (log_file)
        fclose(log_file);
    log_file = f;
    log_level = level;
    pthread_mutex_unlock(&log_lock);
    return LAB_S_OK;
}

void log_close(void)
{
    pthread_mutex_lock(&log_lock);
    if (log_file)
        fclose(log_file);
    log_file = NULL;
    pthread_mutex_unlock(&log_lock);
}

static const char *level_name(enum lab_log_level lvl)
{
    return lvl == LAB_LOG_ERROR ? "Error" : lvl == LAB_LOG_WARNING ? "Warning" : "Info";
}

void log_write(enum lab_log_level lvl, const char *func, const char *fmt, ...)
{
    pthread_mutex_lock(&log_lock);
    if (log_file && (int)lvl <= log_level) {
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
        fprintf(log_file, "%s, %-21s DISM   API: PID=%ld TID=%ld ", stamp,
                level_name(lvl), (long)getpid(), (long)gettid());
        va_list ap;
        va_start(ap, fmt);
        vfprintf(log_file, fmt, ap);
        va_end(ap);
        fprintf(log_file, " - %sInternal\n", func);
        fflush(log_file);
    }
    pthread_mutex_unlock(&log_lock);
}
