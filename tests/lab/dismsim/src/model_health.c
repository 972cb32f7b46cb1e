/*
 * DismCheckImageHealth's model.
 *
 * The image's corruption state is stored in the image itself, in
 * <WindowsDirectory>\servicing\LabImageHealth: one word, Healthy (default when
 * the file is absent), Repairable or NonRepairable (or 0/1/2).  Tests corrupt
 * an image by writing that file.  ScanImage=TRUE "scans" with progress
 * (Total 1000, first report 50, as seen on Windows) and can be cancelled;
 * ScanImage=FALSE only reads the recorded state, with no progress.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lab.h"

#define SCAN_TOTAL 1000
#define SCAN_STEPS 20

static HRESULT read_state(const lab_session *s, int *state)
{
    *state = DismImageHealthy;
    char *path = lab_strdup_printf("%s/servicing/LabImageHealth", s->windows_dir);
    FILE *f = path ? fopen(path, "r") : NULL;
    free(path);
    if (!f)
        return LAB_S_OK;
    char word[64] = "";
    if (fscanf(f, "%63s", word) != 1)
        word[0] = '\0';
    fclose(f);
    if (strcasecmp(word, "Repairable") == 0 || strcmp(word, "1") == 0)
        *state = DismImageRepairable;
    else if (strcasecmp(word, "NonRepairable") == 0 || strcmp(word, "2") == 0)
        *state = DismImageNonRepairable;
    else if (strcasecmp(word, "Healthy") != 0 && strcmp(word, "0") != 0 && word[0])
        return lab_fail(LAB_E_FAIL, "The lab health marker holds '%s'.", word);
    return LAB_S_OK;
}

HRESULT health_check(lab_session *s, int scan, lab_progress *p, int *state_out)
{
    int state = DismImageHealthy;
    HRESULT hr = LAB_S_OK;
    if (scan) {
        p->total = SCAN_TOTAL;
        hr = progress_run(p, SCAN_STEPS);
    }
    if (hr == LAB_S_OK)
        hr = read_state(s, &state);
    if (hr == LAB_S_OK)
        *state_out = state;
    return hr;
}
