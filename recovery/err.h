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
 * Told one line per problem that does not stop the work: a skipped row of
 * a key export, a torn record of a log, a rule file line in error, a
 * leftover of a killed run undone.  msg is valid during the call only.
 */
typedef void (*err_warn_fn)(void *ctx, const char *msg);

/*
 * Make s read like our messages, which are lowercase: its first letter is
 * lowered when it begins an ordinary word ("No such file" -> "no such
 * file", "A volume" -> "a volume"); an acronym ("EFI", "I/O") stays.
 * strerror() and libraries begin their texts with a capital.  Changes s in
 * place; returns s (NULL gives NULL).
 */
char *err_lower_first(char *s);

/*
 * strerror(e) as the cause at the end of a message, lowercase:
 * "read-only file system".  Lives in one of 4 buffers of this thread used
 * in turn: valid until 4 more calls (enough for the arguments of one
 * err_set()).
 */
const char *err_cause(int e);

#endif
