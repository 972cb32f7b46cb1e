/* The one include for lab sources: Windows types, then the independent header. */
#ifndef WINIMAGING_LAB_DISMAPI_LAB_H
#define WINIMAGING_LAB_DISMAPI_LAB_H
#include "win_shim.h"
#include DISMAPI_HEADER   /* -DDISMAPI_HEADER='"/usr/share/mingw-w64/include/dismapi.h"' */
#endif
