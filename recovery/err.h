/*
 * err.h - the one place a failing engine call leaves its message.
 *
 * Engine functions that can fail return -1 (or NULL) and call err_set()
 * first; the caller that decides to give up reads err_msg().  Messages
 * follow git's style: lowercase, no final period, operation first.
 *
 * The message lives in a buffer per thread (the menu runs the engine on a
 * worker thread), and err_set() may be given err_msg() as an argument: a
 * wrapping message keeps its cause, "cannot append to X: <the cause>".
 */
#ifndef BOOTFIX_ERR_H
#define BOOTFIX_ERR_H

/*
 * Record a message (printf format) for this thread and return -1, so
 * "return err_set(...)".  The arguments may point into the current message
 * (err_msg()): it is formatted into a fresh buffer first.
 */
int err_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Put context in front of this thread's message, keeping it as the cause:
 * err_wrap("cannot append to %s", path) gives "cannot append to PATH: CAUSE".
 * Returns -1.
 */
int err_wrap(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* This thread's last message; never NULL, valid until its next err_*() call. */
const char *err_msg(void);

/* Forget this thread's last message. */
void err_clear(void);

/*
 * The one callback type for what does not stop the work but someone should
 * read: a skipped line of a key file, a log line that still verifies, a rule
 * file's problem, a mount a killed bootfix left and that was undone.  msg is
 * one line (no '\n'), valid during the call only; it may carry names from
 * a volume or a stick, so a front escapes it before printing.
 */
typedef void (*err_warn_fn)(void *ctx, const char *msg);

#endif
