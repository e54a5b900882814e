/*
 * err.h - the one place a failing engine call leaves its message.
 *
 * Engine functions that can fail return -1 (or NULL) and call err_set()
 * first; the caller that decides to give up reads err_msg().  Messages
 * follow git's style: lowercase, no final period, operation first.
 */
#ifndef BOOTFIX_ERR_H
#define BOOTFIX_ERR_H

/* Record a message (printf format) and return -1, so "return err_set(...)". */
int err_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The last message recorded; never NULL, owned by this module. */
const char *err_msg(void);

/* Forget the last message. */
void err_clear(void);

#endif
