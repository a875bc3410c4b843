#ifndef TICKETD_CLIBHARU_SHIM_H
#define TICKETD_CLIBHARU_SHIM_H

#include <hpdf.h>
// libharu's own font-definition and stream functions, to load a TrueType font from memory (HaruDocument).
#include <hpdf_fontdef.h>
#include <hpdf_streams.h>

#endif
