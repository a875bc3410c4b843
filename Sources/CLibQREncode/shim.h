#ifndef TICKETD_CLIBQRENCODE_SHIM_H
#define TICKETD_CLIBQRENCODE_SHIM_H

#include <qrencode.h>

#endif
