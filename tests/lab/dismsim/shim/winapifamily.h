/* Stand-in for <winapifamily.h>: the lab is a desktop-partition build. */
#ifndef WINIMAGING_LAB_WINAPIFAMILY_H
#define WINIMAGING_LAB_WINAPIFAMILY_H
#define WINAPI_PARTITION_DESKTOP 1
#define WINAPI_FAMILY_PARTITION(partition) (partition)
#endif
