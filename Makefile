# bootfix - plain Makefile (after git's): `make`, `make check`, `make demo`.
# DEVELOPER=1 turns warnings into errors; SANITIZE=address,undefined builds
# with sanitizers.

CC ?= cc
CFLAGS ?= -O2 -g
PREFIX ?= /usr/local
PKGS = blkid json-c hivex libssl libcrypto libcryptsetup
FRONT_PKGS = ncursesw

WARN = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
       -Wmissing-prototypes -Wvla
ifeq ($(DEVELOPER),1)
WARN += -Werror
endif
ifneq ($(SANITIZE),)
CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Irecovery

ENGINE = recovery/err.o recovery/file.o recovery/utc.o recovery/rules.o recovery/proc.o \
	 recovery/winpath.o recovery/disk.o recovery/ntfs.o recovery/finding.o \
	 recovery/quarantine.o recovery/identity.o recovery/engine.o recovery/report.o \
	 recovery/config.o recovery/machine.o recovery/hw.o recovery/raid.o recovery/live.o \
	 recovery/fault.o recovery/text.o recovery/runstate.o recovery/sha256.o \
	 recovery/ldm.o
# the audit log: the record, signatures, reading, verifying, appending, rows, merging
ENGINE += recovery/auditlog.o recovery/auditlog_sign.o recovery/auditlog_read.o \
	  recovery/auditlog_verify.o recovery/auditlog_append.o recovery/auditlog_row.o \
	  recovery/auditlog_merge.o recovery/auditlog_scan.o
# the auditors' HTML report (bootfix log report)
ENGINE += recovery/logreport.o
# sending records to the site's log servers (syslog over TLS or TCP, https)
ENGINE += recovery/logsend.o
FRONTS = recovery/cli.o recovery/front.o recovery/record.o recovery/fixcmd.o recovery/rulescmd.o \
	 recovery/menu_work.o recovery/menu_draw.o \
	 recovery/logcmd.o recovery/menu.o recovery/auto.o recovery/screen.o
# BitLocker: metadata, key sources, unlocking (docs/bitlocker.md)
BITLOCKER = recovery/bitlocker_guid.o recovery/bitlocker_meta.o recovery/bitlocker_rp.o \
	    recovery/bitlocker_bek.o recovery/bitlocker_derive.o recovery/bitlocker_unlock.o \
	    recovery/bitlocker_dislocker.o
ENGINE += $(BITLOCKER) recovery/keys.o recovery/csv.o
FRONTS += recovery/unlockcmd.o recovery/hwcmd.o
# bootfix log report: reads the logs for logreport.c's page
FRONTS += recovery/reportcmd.o
# keys from a terminal's raw bytes (the menu); no curses, no I/O
ENGINE += recovery/termkey.o

all: bootfix

bootfix: $(ENGINE) $(FRONTS)
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(PKG_LIBS) $(shell pkg-config --libs $(FRONT_PKGS))

recovery/%.o: recovery/%.c recovery/*.h
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# --- tests ---
UNIT = tests/unit/test_rules tests/unit/test_winpath tests/unit/test_quarantine \
       tests/unit/test_auditlog tests/unit/test_config tests/unit/test_machine
UNIT += tests/unit/test_bitlocker tests/unit/test_keys tests/unit/test_csv tests/unit/test_live
UNIT += tests/unit/test_text tests/unit/test_termkey tests/unit/test_sha256 tests/unit/test_hw
# RAID volumes md assembled, from a made-up sysfs tree (raid.c)
UNIT += tests/unit/test_raid
# the LDM database of a Windows dynamic disk, on tests/tools/make-ldm.py's disks (ldm.c)
UNIT += tests/unit/test_ldm
# children, FUSE daemons and the mount table (recovery/proc.c)
UNIT += tests/unit/test_proc
# the record the fronts write and the log screen's rows (record.c: prints nothing)
UNIT += tests/unit/test_record
tests/unit/test_record: recovery/record.o
# the layer the fronts share: verb entries, sizes, front_begin() (front.c)
UNIT += tests/unit/test_front
tests/unit/test_front: recovery/front.o recovery/record.o

# file access on hostile trees (EIO, links, a full file system), the engine on
# a plain folder as --root, ntfs-3g's answers, disks, hives, the JSON report
UNIT += tests/unit/test_file tests/unit/test_engine tests/unit/test_ntfs
UNIT += tests/unit/test_disk tests/unit/test_identity tests/unit/test_report
# the auditors' HTML report: hostile text, figures, bounded lists (logreport.c)
UNIT += tests/unit/test_logreport

tests/unit/test_%: tests/unit/test_%.c $(ENGINE) tests/unit/fixture.h
	$(CC) $(ALL_CFLAGS) -pthread -o $@ $(filter-out %.h,$^) $(PKG_LIBS) -lcmocka

tests/tools/ntfs-logstate: tests/tools/ntfs-logstate.c
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra $(CFLAGS) -o $@ $<

# many realistic records from one real one, chained and signed by bootfix's code (scripts/bench-log)
tests/tools/log-gen: tests/tools/log-gen.c $(ENGINE)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(PKG_LIBS)

tests/tools/hive-set: tests/tools/hive-set.c
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra $(CFLAGS) $(shell pkg-config --cflags hivex) -o $@ $< $(shell pkg-config --libs hivex)

deps:
	@scripts/deps check

check-unit: bootfix $(UNIT)
	@for t in $(UNIT); do echo "== $$t"; ./$$t || exit 1; done
	@echo "== tests/unit/test_includes.sh"; sh tests/unit/test_includes.sh

check-cli: bootfix tests/tools/ntfs-logstate
	@tests/run-suite.sh cli cli

check-tui: bootfix tests/tools/ntfs-logstate tests/tools/hive-set
	@tests/run-suite.sh tui tui

check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory check-unit
	@$(MAKE) --no-print-directory check-fuzz
	@$(MAKE) --no-print-directory check-cli
	@$(MAKE) --no-print-directory check-tui
	@$(MAKE) --no-print-directory check-image

# --- libFuzzer targets (clang): input from volumes and sticks anyone could edit ---
# rules: the rule parser; log: the audit log reader; keys: key exports (CSV) and
# .BEK files; manifest: the quarantine manifest (on the hostile volume); config:
# bootfix.conf (on the stick); termkey: the terminal key decoder (a serial line
# delivers anything); report: the auditors' HTML page of records; ldm: the LDM
# database of a Windows dynamic disk.  Each is tests/fuzz/fuzz_NAME.c with corpus tests/fuzz/corpus-NAME.
FUZZ = rules log keys manifest config termkey report ldm
FUZZ_CC = clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -Irecovery

# what each is built from besides its own file
tests/fuzz/fuzz_rules: recovery/rules.c recovery/err.c recovery/file.c recovery/utc.c \
		       recovery/sha256.c
tests/fuzz/fuzz_log tests/fuzz/fuzz_manifest tests/fuzz/fuzz_report: $(ENGINE:.o=.c)
tests/fuzz/fuzz_keys: recovery/keys.c recovery/csv.c $(BITLOCKER:.o=.c) recovery/err.c \
		      recovery/file.c recovery/live.c recovery/runstate.c recovery/proc.c \
		      recovery/disk.c recovery/raid.c recovery/text.c recovery/sha256.c
tests/fuzz/fuzz_config: recovery/config.c recovery/err.c recovery/file.c recovery/sha256.c \
			recovery/logsend.c
tests/fuzz/fuzz_termkey: recovery/termkey.c
tests/fuzz/fuzz_ldm: recovery/ldm.c recovery/err.c recovery/file.c recovery/sha256.c

tests/fuzz/fuzz_%: tests/fuzz/fuzz_%.c
	$(FUZZ_CC) $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS)

fuzz: $(FUZZ:%=tests/fuzz/fuzz_%)

# fuzz one target longer: make fuzz-run-keys FUZZ_SECONDS=300 (fuzz-run: the rules)
$(FUZZ:%=fuzz-run-%): fuzz-run-%: tests/fuzz/fuzz_%
	tests/fuzz/fuzz_$* -max_total_time=$${FUZZ_SECONDS:-60} tests/fuzz/corpus-$*
fuzz-run: fuzz-run-rules

# a short run of each is part of make check; corpus copies go to a temp dir
check-fuzz: $(FUZZ:%=check-fuzz-%)
$(FUZZ:%=check-fuzz-%): check-fuzz-%: tests/fuzz/fuzz_%
	@d=$$(mktemp -d) && cp tests/fuzz/corpus-$*/* $$d/ && \
	tests/fuzz/fuzz_$* -max_total_time=$${FUZZ_SECONDS:-15} $$d > $$d.log 2>&1; \
	rc=$$?; echo "$*: $$(tail -n 1 $$d.log)"; rm -rf $$d $$d.log; exit $$rc
.PHONY: $(FUZZ:%=fuzz-run-%) $(FUZZ:%=check-fuzz-%)

bench-unlock: bootfix
	@scripts/bench-unlock
.PHONY: bench-unlock

bench: bootfix tests/tools/log-gen
	@scripts/bench
	@scripts/bench-report
	@scripts/bench-log

# the log tools on 150,000 records against sha256sum (scripts/bench-log)
bench-log: bootfix tests/tools/log-gen
	@scripts/bench-log
.PHONY: bench-log

# --- the bootable USB stick image (image/, docs/image.md) ---
image: bootfix
	@scripts/deps image
	@image/build

demo: bootfix
	@scripts/deps demo
	@image/build
	@image/demo

check-image: bootfix
	@scripts/deps image
	@image/build
	@image/netboot
	@tests/image/run-all.sh

bench-boot: bootfix
	@scripts/deps image
	@image/build
	@scripts/bench-boot
.PHONY: image demo check-image bench-boot

# --- network boot (docs/netboot.md): out/netboot/, SITE=DIR adds the site settings ---
netboot: bootfix
	@scripts/deps image
	@image/build
	@image/netboot $(if $(SITE),--site "$(SITE)")

bench-fleet: bootfix
	@scripts/deps image
	@image/build
	@scripts/bench-fleet
.PHONY: netboot bench-fleet

install: bootfix
	install -D -m 0755 bootfix $(DESTDIR)$(PREFIX)/sbin/bootfix
	install -d $(DESTDIR)$(PREFIX)/share/bootfix/rules
	install -m 0644 rules/*.rules $(DESTDIR)$(PREFIX)/share/bootfix/rules/
	install -D -m 0644 docs/bootfix.8 $(DESTDIR)$(PREFIX)/share/man/man8/bootfix.8

clean:
	rm -f bootfix recovery/*.o $(UNIT) tests/unit/test_logcmd tests/tools/ntfs-logstate \
	      tests/tools/hive-set $(FUZZ:%=tests/fuzz/fuzz_%)
	rm -rf tests/trash.* out

.PHONY: all deps check check-unit check-cli check-tui check-fuzz fuzz fuzz-run bench install clean
