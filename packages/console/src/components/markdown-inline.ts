/**
 * The inline tokens of the report renderer: `code`, **bold**, *em* / _em_, [text](href).
 *
 * A report is written by a job (up to 256 KiB), so the pattern must stay linear: no character class
 * may run past the next place another token of the same kind could start. `\[[^\]]+\]` did (it
 * crossed every later `[`), and a line of 20,000 `[` took 1.6 s to scan, 256 KiB minutes.
 */
export const INLINE = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*|_[^_\s][^_]*_)|(\[[^[\]]+\]\([^()[\]\s]+\))/g;
