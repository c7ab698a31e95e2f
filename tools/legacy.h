/*
 * Go's `?debug=1` text layouts (spec §7): what their records have in common.
 */
#ifndef GOPROF_TOOLS_LEGACY_H
#define GOPROF_TOOLS_LEGACY_H

#include <stdint.h>

struct gp_export;

/*
 * Writes "@ 0x.. 0x..\n": the stack's words, innermost first, each a function id in hex.
 * The caller writes the record's values and the space before the '@'.
 */
void gp_legacy_stack_words(struct gp_export *x, uint32_t stack);

/*
 * Writes one "#\t0x<word>\t<function>+0x0\t<file>:<line>" comment line per frame,
 * innermost first, tab-aligned like Go's output; "#\t0x0" for an empty stack (stack 0).
 * The caller writes the record's closing empty line.
 */
void gp_legacy_frame_lines(struct gp_export *x, uint32_t stack);

#endif
