/*
 * Progress and cancellation for every long DISM operation.
 *
 * Before each report the helper pauses for $DISM_LAB_PROGRESS_DELAY_MS
 * (default 0) so tests can cancel or time out an operation in flight, then
 * polls the CancelEvent with WaitForSingleObject(h, 0), then calls the
 * callback.  Reports never exceed Total; a run ends with Current == Total.
 */
#include <stdlib.h>
#include <time.h>
#include <wimlib.h>
#include "lab.h"
#include "kernel32_lab.h"
#include "model_state.h"

void progress_init(lab_progress *p, HANDLE cancel, DISM_PROGRESS_CALLBACK cb,
                   PVOID user, UINT total)
{
    p->cancel = cancel;
    p->callback = cb;
    p->user_data = user;
    p->total = total ? total : 1;
    p->calls = 0;
}

static void pause_for_tests(void)
{
    const char *v = getenv("DISM_LAB_PROGRESS_DELAY_MS");
    long ms = v ? strtol(v, NULL, 10) : 0;
    if (ms <= 0)
        return;
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&t, NULL);
}

HRESULT progress_cancelled(lab_progress *p)
{
    if (!p->cancel)
        return LAB_S_OK;
    DWORD w = WaitForSingleObject(p->cancel, 0);
    if (w == WAIT_OBJECT_0)
        return lab_fail(LAB_E_CANCELLED, NULL);
    if (w == WAIT_FAILED)
        return lab_fail(LAB_E_INVALID_HANDLE, "(CancelEvent)");
    return LAB_S_OK;
}

HRESULT progress_report(lab_progress *p, UINT current)
{
    pause_for_tests();
    HRESULT hr = progress_cancelled(p);
    if (hr != LAB_S_OK)
        return hr;
    if (current > p->total)
        current = p->total;
    if (p->callback)
        p->callback(current, p->total, p->user_data);
    p->calls++;
    return LAB_S_OK;
}

HRESULT progress_run(lab_progress *p, UINT steps)
{
    if (steps == 0)
        steps = 1;
    for (UINT i = 1; i <= steps; i++) {
        UINT current = (UINT)((uint64_t)p->total * i / steps);
        HRESULT hr = progress_report(p, current);
        if (hr != LAB_S_OK)
            return hr;
    }
    return LAB_S_OK;
}

/* The last report, Current == Total, once the work is done: the operation is
 * past its cancellable stages (dism-api.md 6.4), so the event is not polled. */
void progress_finish(lab_progress *p)
{
    pause_for_tests();
    if (p->callback)
        p->callback(p->total, p->total, p->user_data);
    p->calls++;
}

/* ---- wimlib's progress messages as lab progress ---- */

#define WIM_REPORTS 10   /* at most this many reports per attached range */

static enum wimlib_progress_status on_wimlib(enum wimlib_progress_msg msg, union wimlib_progress_info *info,
                                             void *ctx)
{
    lab_wim_progress *wp = ctx;
    uint64_t done, total;
    switch (msg) {
    case WIMLIB_PROGRESS_MSG_EXTRACT_STREAMS:
        done = info->extract.completed_bytes;
        total = info->extract.total_bytes;
        break;
    case WIMLIB_PROGRESS_MSG_WRITE_STREAMS:
        done = info->write_streams.completed_bytes;
        total = info->write_streams.total_bytes;
        break;
    case WIMLIB_PROGRESS_MSG_UPDATE_END_COMMAND:
        done = info->update.completed_commands;
        total = info->update.total_commands;
        break;
    default:
        return WIMLIB_PROGRESS_STATUS_CONTINUE;
    }
    UINT span = wp->to - wp->from;
    UINT step = total ? (UINT)(done * WIM_REPORTS / total) : WIM_REPORTS;
    UINT current = wp->from + (UINT)((uint64_t)span * step / WIM_REPORTS);
    if (current <= wp->last)
        return WIMLIB_PROGRESS_STATUS_CONTINUE;
    wp->last = current;
    wp->hr = progress_report(wp->p, current);
    return wp->hr == LAB_S_OK ? WIMLIB_PROGRESS_STATUS_CONTINUE : WIMLIB_PROGRESS_STATUS_ABORT;
}

void wim_progress_attach(WIMStruct *w, lab_wim_progress *wp, lab_progress *p, UINT from, UINT to)
{
    wp->p = p;
    wp->from = from;
    wp->to = to;
    wp->last = from;
    wp->hr = LAB_S_OK;
    wimlib_register_progress_function(w, on_wimlib, wp);
}
