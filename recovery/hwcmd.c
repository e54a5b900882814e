/*
 * hwcmd.c - `bootfix hw`: the disk and USB controllers this machine has,
 * with the driver bound to each, its disks and its keyboards (hw.c), as
 * a table or as JSON.  What a technician reads when a disk is missing:
 * a storage controller without a driver is said last, on a line of its
 * own, "disk controller without a driver: 103c:323a ...".
 */
#include <getopt.h>
#include <stdio.h>

#include "err.h"
#include "front.h"
#include "hw.h"
#include "hwcmd.h"
#include "text.h"

static const struct option hw_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void print_table(const struct hw *h)
{
	char size[32], buf[256];

	printf("controllers:\n");
	if (!h->ncontrollers)
		printf("  (none)\n");
	for (size_t i = 0; i < h->ncontrollers; i++) {
		const struct hw_controller *c = &h->controllers[i];

		printf("  %-12s  %04x:%04x  %-12s  %s: %s\n", c->slot, c->vendor, c->device,
		       c->driver ? c->driver : "(no driver)", hw_class_name(c->class),
		       c->name ? c->name : "(not in pci.ids)");
	}
	printf("disks:\n");
	if (!h->ndisks)
		printf("  (none)\n");
	for (size_t i = 0; i < h->ndisks; i++) {
		const struct hw_disk *k = &h->disks[i];

		printf("  %-8s  %-6s  %-12s  %9s  %s%s%s\n", k->name, k->bus,
		       k->controller[0] ? k->controller : "-",
		       text_size(k->size, size, sizeof(size)), k->model ? k->model : "(no model)",
		       k->serial ? "  serial " : "", k->serial ? k->serial : "");
	}
	printf("keyboards:\n");
	if (!h->nkeyboards)
		printf("  (none)\n");
	for (size_t i = 0; i < h->nkeyboards; i++)
		printf("  %-9s  %s\n", h->keyboards[i].bus,
		       h->keyboards[i].name ? h->keyboards[i].name : "(no name)");
	for (size_t i = 0; i < h->ncontrollers; i++)
		if (hw_bare(&h->controllers[i]))
			printf("disk controller without a driver: %s\n",
			       hw_controller_text(&h->controllers[i], buf, sizeof(buf)));
}

static int exec(const struct front_verb *self, struct front_args *a)
{
	struct hw h;
	int rc;

	(void)self;
	if (hw_read(&h, NULL, NULL) < 0) {
		fprintf(stderr, "bootfix: %s\n", text_safe(err_msg()));
		hw_free(&h);
		return FRONT_EXIT_CANNOT;
	}
	if (front_arg(a, 'j')) {
		struct json_object *o = hw_json(&h);

		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		print_table(&h);
	}
	rc = fflush(stdout) == 0 ? FRONT_EXIT_OK : FRONT_EXIT_CANNOT;
	hw_free(&h);
	return rc;
}

const struct front_verb hwcmd_verb = {
	.name = "hw",
	.usage = "bootfix hw [--json]",
	.shortopts = "jh", .longopts = hw_opts, .lower = 0, .upper = 0,
	.exec = exec,
};
