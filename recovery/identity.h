/*
 * identity.h - who a machine and its Windows installs are, for the report
 * and the audit record: DMI data, network addresses, and names read from
 * the registry hives with libhivex.  Nothing here fails the repair: what
 * cannot be read is left out, with a note.
 */
#ifndef BOOTFIX_IDENTITY_H
#define BOOTFIX_IDENTITY_H

struct windows_info {
	char *computer_name;
	char *product_name;
	char *build;
	char *display_version;
	char *system_root;	/* "C:\\Windows": its drive letter is this volume's */
	char *note;		/* why something could not be read, or NULL */
};

/*
 * Read the SYSTEM (and SOFTWARE, when present) hive of the Windows install
 * whose volume root is open as rootfd.  Always fills *wi (fields may be
 * NULL); free with identity_windows_free().
 */
void identity_windows(int rootfd, struct windows_info *wi);

/* Read the computer name from a SYSTEM hive file; NULL with err_set(). */
char *identity_computer_name(const char *hive_path);

void identity_windows_free(struct windows_info *wi);

/* DMI attributes of this machine (/sys/class/dmi/id/NAME), or NULL (caller frees). */
char *identity_dmi(const char *name);

/* The longest folder name identity_folder_name() gives, in bytes. */
#define IDENTITY_FOLDER_MAX 64

/*
 * A name for this machine's folder on the stick: the Windows computer name
 * if given, else the DMI serial, else "unknown-machine"; only characters
 * FAT accepts, at most IDENTITY_FOLDER_MAX bytes (cut before a UTF-8
 * character, never inside one).  Caller frees (NULL when out of memory).
 */
char *identity_folder_name(const char *computer_name);

#endif
