/*
 * text.h - text from a volume or a stick, made safe to show a person.
 *
 * A file name, a computer name, a volume label or a log record is hostile
 * input: raw, it could clear the screen (ESC), retitle the terminal (OSC),
 * hide a line (CR), or reorder what is read (bidi overrides).  Every human
 * output (CLI, menu, unattended screen, serial line, `log list/show`) goes
 * through text_safe(); JSON output keeps the exact bytes (json-c escapes).
 * Text Windows wrote as UTF-16 becomes UTF-8 here first.
 */
#ifndef BOOTFIX_TEXT_H
#define BOOTFIX_TEXT_H

#include <stddef.h>
#include <stdint.h>

/*
 * s with every C0 control (newline and tab included), DEL and byte that is
 * not UTF-8 written as \xNN, and every C1 control (U+0080-U+009F) and bidi
 * control (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) written
 * as \uXXXX (as JSON writes it, so a JSON line stays JSON).  The result
 * lives in one of 16 buffers of this thread used in turn: valid until 16
 * more calls (enough for the arguments of one printf).  NULL gives "(null)".
 */
const char *text_safe(const char *s);

/*
 * The same into buf (len bytes, always NUL-terminated; cut on a character
 * boundary).  Returns buf.
 */
char *text_safe_buf(const char *s, char *buf, size_t len);

/* 1 when text_safe() would change s. */
int text_needs_escape(const char *s);

/*
 * A short identifier from firmware or a disk (model, serial number) as a
 * new string (caller frees): printable ASCII only (other bytes dropped),
 * spaces trimmed at both ends and runs of them made one, cut to at most
 * max bytes.  NULL when nothing is left or s is NULL.
 */
char *text_printable(const char *s, size_t max);

/*
 * The valid UTF-8 sequence at p: its length (1-4) with its code point in
 * *cp, or 0 when p does not start one (overlong forms, surrogates and code
 * points past U+10FFFF are not valid).  p must be NUL-terminated.
 */
size_t text_utf8_char(const unsigned char *p, uint32_t *cp);

/*
 * A size for people, in binary units with one decimal: "512 B", "1.5 KiB",
 * "476.9 GiB", "2048.0 TiB" (TiB is the largest unit).  Into buf (len
 * bytes, always NUL-terminated); returns buf.
 */
char *text_size(uint64_t bytes, char *buf, size_t len);

/*
 * Convert len bytes of UTF-16LE (names in BitLocker metadata, a key export
 * PowerShell saved) to UTF-8 into out (outlen bytes, always NUL-terminated;
 * a character that does not fit whole is left out, and so is the rest).
 * An unpaired surrogate becomes U+FFFD; a NUL unit ends the text.  Returns
 * the bytes written, without the NUL.
 */
size_t text_utf16_to_utf8(const unsigned char *in, size_t len, char *out, size_t outlen);

#endif
