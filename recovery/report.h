/*
 * report.h - a run as a JSON document (json-c), shared by `--json` output
 * and the audit record so both describe a run the same way.
 */
#ifndef BOOTFIX_REPORT_H
#define BOOTFIX_REPORT_H

#include <json-c/json.h>

#include "engine.h"

/* One finding; a new reference the caller owns. */
struct json_object *report_finding(const struct finding *f);

/* One volume with its findings; a new reference the caller owns. */
struct json_object *report_volume(const struct volume *v);

/*
 * The whole run: {"tool","version","verb","dry_run","target",
 * "machine_serial" (when known),"time","duration_ms","volumes":[...]}; a
 * new reference the caller owns.
 */
struct json_object *report_run(const struct run *r, const char *verb, int dry_run);

#endif
