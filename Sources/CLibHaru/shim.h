#ifndef TICKETD_CLIBHARU_SHIM_H
#define TICKETD_CLIBHARU_SHIM_H

#include <hpdf.h>

#endif
