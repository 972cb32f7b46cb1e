/*
 * The per-thread last-error message (DismGetLastErrorMessage).
 *
 * Messages start with the sentence Windows uses for the HRESULT (so a user
 * sees familiar text) followed by the lab's detail, e.g. the path involved.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lab.h"

static __thread char *t_message;
static __thread int t_fresh;

static const struct {
    uint32_t hr;
    const char *text;
} hr_texts[] = {
    { 0x80004001, "Not implemented." },
    { 0x80004005, "Unspecified error." },
    { 0x80070002, "The system cannot find the file specified." },
    { 0x80070003, "The system cannot find the path specified." },
    { 0x80070005, "Access is denied." },
    { 0x80070006, "The handle is invalid." },
    { 0x8007000B, "An attempt was made to load a program with an incorrect format." },
    { 0x80070017, "Data error (cyclic redundancy check)." },
    { 0x8007000E, "Not enough memory resources are available to complete this operation." },
    { 0x80070035, "The network path was not found." },
    { 0x80070057, "The parameter is incorrect." },
    { 0x8007007B, "The filename, directory name, or volume label syntax is incorrect." },
    { 0x800700CB, "The system could not find the environment option that was entered." },
    { 0x8007010B, "The directory name is invalid." },
    { 0x80070490, "Element not found." },
    { 0x80070570, "The file or directory is corrupted and unreadable." },
    { 0x800704C7, "The operation was canceled by the user." },
    { 0x800704DF, "An attempt was made to perform an initialization operation when initialization has already been completed." },
    { 0xC0040001, "DISM API was not initialized for this process." },
    { 0xC0040003, "DismShutdown was called while there were open DismSession handles." },
    { 0xC0040004, "A DismSession was being shut down when another operation was called on it." },
    { 0xC0040009, "The requested logging file could not be opened; logging is disabled." },
    { 0xC004000D, "One or several parent features are disabled so current feature can not be enabled." },
    { 0x800F081F, "The source files could not be found." },
    { 0x800F0906, "The source files could not be downloaded." },
    { 0x800F0907, "The source files could not be downloaded because of network policy settings." },
    { 0x800F0954, "The source files could not be downloaded from the WSUS server." },
    { 0x800F0806, "The operation could not be completed because a reboot is pending." },
    { 0x800F082F, "The operation could not be completed because pending changes must be completed by a reboot first." },
    { 0xC0040005, "The specified image in the specified image file does not exist (invalid image index)." },
    { 0xC0040006, "The specified image in the specified image file does not exist (invalid image name)." },
    { 0xC0040007, "The specified path is not the mount point of a mounted image." },
    { 0xC004000A, "The image cannot be unmounted because a DismSession is still open on it." },
    { 0xC004000B, "The image cannot be mounted because a DismSession is still open on the mount path." },
    { 0xC004000C, "The image cannot be remounted because a DismSession is still open on it." },
    { 0xC004000E, "Online image servicing requires the DISM_ONLINE_IMAGE path." },
    { 0xC142010C, "The changes cannot be committed because the image was mounted read-only." },
    { 0xC1420113, "The specified mount directory already contains a mounted image." },
    { 0xC1420114, "The directory could not be mounted because it is not empty." },
    { 0xC1420117, "The directory could not be completely unmounted. This is usually due to applications that still have files opened within the mount directory. Close these files and unmount again to complete the unmount process." },
    { 0xC1420127, "The specified image in the specified wim is already mounted for read/write access." },
    { 0xC142013C, "An ESD image file cannot be mounted." },
    { 0xC1510114, "The image must be remounted before it can be serviced (DISMAPI_E_NEEDS_REMOUNT)." },
};

const char *lab_hr_text(HRESULT hr)
{
    for (size_t i = 0; i < sizeof(hr_texts) / sizeof(hr_texts[0]); i++)
        if (hr_texts[i].hr == (uint32_t)hr)
            return hr_texts[i].text;
    return NULL;
}

static void set_message(char *msg)
{
    free(t_message);
    t_message = msg;
    t_fresh = 1;
}

HRESULT lab_fail(HRESULT hr, const char *fmt, ...)
{
    char *detail = NULL;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&detail, fmt, ap) < 0)
            detail = NULL;
        va_end(ap);
    }
    const char *text = lab_hr_text(hr);
    char *msg = NULL;
    if (text && detail)
        msg = lab_strdup_printf("%s %s", text, detail);
    else if (text || detail)
        msg = lab_strdup_printf("%s", text ? text : detail);
    else
        msg = lab_strdup_printf("Error 0x%08X.", (unsigned)hr);
    free(detail);
    if (msg)
        set_message(msg);
    return hr;
}

HRESULT lab_fail_text(HRESULT hr, const char *text)
{
    char *msg = strdup(text);
    if (msg)
        set_message(msg);
    return hr;
}

void lab_error_mark(void)
{
    t_fresh = 0;
}

int lab_error_fresh(void)
{
    return t_fresh;
}

const char *lab_error_get(void)
{
    return t_message;
}
