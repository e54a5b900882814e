/* version.h - the version printed by the tool and written into records. */
#ifndef BOOTFIX_VERSION_H
#define BOOTFIX_VERSION_H
#define BOOTFIX_VERSION "0.1.0"
#endif
