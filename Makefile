# bootfix - plain Makefile (after git's): `make`, `make check`, `make demo`.
# DEVELOPER=1 turns warnings into errors; SANITIZE=address,undefined builds
# with sanitizers.

CC ?= cc
CFLAGS ?= -O2 -g
PREFIX ?= /usr/local
PKGS = blkid json-c hivex libcrypto libcryptsetup
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
	 recovery/config.o recovery/machine.o recovery/auditlog.o recovery/live.o \
	 recovery/fault.o recovery/text.o recovery/runstate.o
FRONTS = recovery/cli.o recovery/front.o recovery/record.o recovery/fixcmd.o recovery/rulescmd.o \
	 recovery/logcmd.o recovery/menu.o recovery/auto.o recovery/screen.o
# BitLocker: metadata, key sources, unlocking (docs/bitlocker.md)
ENGINE += recovery/bitlocker.o recovery/keys.o
FRONTS += recovery/unlockcmd.o
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
UNIT += tests/unit/test_bitlocker tests/unit/test_keys tests/unit/test_live
UNIT += tests/unit/test_text tests/unit/test_termkey
# children, FUSE daemons and the mount table (recovery/proc.c)
UNIT += tests/unit/test_proc
# the record the fronts write and the log screen's rows (record.c: prints nothing)
UNIT += tests/unit/test_record
tests/unit/test_record: recovery/record.o
# the layer the fronts share: verb entries, sizes, front_begin() (front.c)
UNIT += tests/unit/test_front
tests/unit/test_front: recovery/front.o recovery/record.o

tests/unit/test_%: tests/unit/test_%.c $(ENGINE)
	$(CC) $(ALL_CFLAGS) -pthread -o $@ $^ $(PKG_LIBS) -lcmocka

tests/tools/ntfs-logstate: tests/tools/ntfs-logstate.c
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra $(CFLAGS) -o $@ $<

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

# libFuzzer target for the rules parser (clang)
fuzz: tests/fuzz/fuzz_rules
tests/fuzz/fuzz_rules: tests/fuzz/fuzz_rules.c recovery/rules.c recovery/err.c recovery/file.c recovery/utc.c
	clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -Irecovery \
		-o $@ $^ -lcrypto
# libFuzzer target for the audit log reader (logs come from sticks anyone could edit)
fuzz: tests/fuzz/fuzz_log
tests/fuzz/fuzz_log: tests/fuzz/fuzz_log.c $(ENGINE:.o=.c)
	clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -Irecovery \
		$(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS)
fuzz-run-log: tests/fuzz/fuzz_log
	tests/fuzz/fuzz_log -max_total_time=$${FUZZ_SECONDS:-60} tests/fuzz/corpus-log
check-fuzz: check-fuzz-log
check-fuzz-log: tests/fuzz/fuzz_log
	@d=$$(mktemp -d) && cp tests/fuzz/corpus-log/* $$d/ && \
	tests/fuzz/fuzz_log -max_total_time=$${FUZZ_SECONDS:-15} $$d > $$d.log 2>&1; \
	rc=$$?; tail -n 1 $$d.log; rm -rf $$d $$d.log; exit $$rc
.PHONY: fuzz-run-log check-fuzz-log
# libFuzzer target for the key-export (CSV) and .BEK readers: exports pass many hands
fuzz: tests/fuzz/fuzz_keys
tests/fuzz/fuzz_keys: tests/fuzz/fuzz_keys.c recovery/keys.c recovery/bitlocker.c recovery/err.c recovery/file.c recovery/live.c \
		recovery/runstate.c recovery/proc.c recovery/disk.c recovery/text.c
	clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -Irecovery \
		$(shell pkg-config --cflags blkid) -o $@ $^ -lcryptsetup -lcrypto -lblkid
fuzz-run-keys: tests/fuzz/fuzz_keys
	tests/fuzz/fuzz_keys -max_total_time=$${FUZZ_SECONDS:-60} tests/fuzz/corpus-keys
check-fuzz: check-fuzz-keys
check-fuzz-keys: tests/fuzz/fuzz_keys
	@d=$$(mktemp -d) && cp tests/fuzz/corpus-keys/* $$d/ && \
	tests/fuzz/fuzz_keys -max_total_time=$${FUZZ_SECONDS:-15} $$d > $$d.log 2>&1; \
	rc=$$?; tail -n 1 $$d.log; rm -rf $$d $$d.log; exit $$rc
# libFuzzer targets for the quarantine manifest (on the hostile volume) and
# bootfix.conf (on the stick)
fuzz: tests/fuzz/fuzz_manifest tests/fuzz/fuzz_config
tests/fuzz/fuzz_manifest: tests/fuzz/fuzz_manifest.c $(ENGINE:.o=.c)
	clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -Irecovery \
		$(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS)
tests/fuzz/fuzz_config: tests/fuzz/fuzz_config.c recovery/config.c recovery/err.c recovery/file.c
	clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -Irecovery \
		-o $@ $^ -lcrypto
fuzz-run-manifest: tests/fuzz/fuzz_manifest
	tests/fuzz/fuzz_manifest -max_total_time=$${FUZZ_SECONDS:-60} tests/fuzz/corpus-manifest
fuzz-run-config: tests/fuzz/fuzz_config
	tests/fuzz/fuzz_config -max_total_time=$${FUZZ_SECONDS:-60} tests/fuzz/corpus-config
check-fuzz: check-fuzz-manifest check-fuzz-config
check-fuzz-manifest: tests/fuzz/fuzz_manifest
	@d=$$(mktemp -d) && cp tests/fuzz/corpus-manifest/* $$d/ && \
	tests/fuzz/fuzz_manifest -max_total_time=$${FUZZ_SECONDS:-15} $$d > $$d.log 2>&1; \
	rc=$$?; tail -n 1 $$d.log; rm -rf $$d $$d.log; exit $$rc
check-fuzz-config: tests/fuzz/fuzz_config
	@d=$$(mktemp -d) && cp tests/fuzz/corpus-config/* $$d/ && \
	tests/fuzz/fuzz_config -max_total_time=$${FUZZ_SECONDS:-15} $$d > $$d.log 2>&1; \
	rc=$$?; tail -n 1 $$d.log; rm -rf $$d $$d.log; exit $$rc
.PHONY: fuzz-run-manifest fuzz-run-config check-fuzz-manifest check-fuzz-config
# libFuzzer target for the terminal key decoder (a serial line delivers anything)
fuzz: tests/fuzz/fuzz_termkey
tests/fuzz/fuzz_termkey: tests/fuzz/fuzz_termkey.c recovery/termkey.c
	clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -Irecovery \
		-o $@ $^
fuzz-run-termkey: tests/fuzz/fuzz_termkey
	tests/fuzz/fuzz_termkey -max_total_time=$${FUZZ_SECONDS:-60} tests/fuzz/corpus-termkey
check-fuzz: check-fuzz-termkey
check-fuzz-termkey: tests/fuzz/fuzz_termkey
	@d=$$(mktemp -d) && cp tests/fuzz/corpus-termkey/* $$d/ && \
	tests/fuzz/fuzz_termkey -max_total_time=$${FUZZ_SECONDS:-15} $$d > $$d.log 2>&1; \
	rc=$$?; tail -n 1 $$d.log; rm -rf $$d $$d.log; exit $$rc
.PHONY: fuzz-run-termkey check-fuzz-termkey
bench-unlock: bootfix
	@scripts/bench-unlock
.PHONY: fuzz-run-keys check-fuzz-keys bench-unlock
fuzz-run: tests/fuzz/fuzz_rules
	tests/fuzz/fuzz_rules -max_total_time=$${FUZZ_SECONDS:-60} tests/fuzz/corpus-rules

# a short fuzzing run is part of make check; corpus copies go to a temp dir
check-fuzz: tests/fuzz/fuzz_rules
	@d=$$(mktemp -d) && cp tests/fuzz/corpus-rules/* $$d/ && \
	tests/fuzz/fuzz_rules -max_total_time=$${FUZZ_SECONDS:-15} $$d > $$d.log 2>&1; \
	rc=$$?; tail -n 1 $$d.log; rm -rf $$d $$d.log; exit $$rc

bench: bootfix
	@scripts/bench

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
	@tests/image/run-all.sh

bench-boot: bootfix
	@scripts/deps image
	@image/build
	@scripts/bench-boot
.PHONY: image demo check-image bench-boot

install: bootfix
	install -D -m 0755 bootfix $(DESTDIR)$(PREFIX)/sbin/bootfix
	install -d $(DESTDIR)$(PREFIX)/share/bootfix/rules
	install -m 0644 rules/*.rules $(DESTDIR)$(PREFIX)/share/bootfix/rules/
	install -D -m 0644 docs/bootfix.8 $(DESTDIR)$(PREFIX)/share/man/man8/bootfix.8

clean:
	rm -f bootfix recovery/*.o $(UNIT) tests/unit/test_logcmd tests/tools/ntfs-logstate tests/tools/hive-set tests/fuzz/fuzz_rules \
	      tests/fuzz/fuzz_keys tests/fuzz/fuzz_log tests/fuzz/fuzz_manifest tests/fuzz/fuzz_config \
	      tests/fuzz/fuzz_termkey
	rm -rf tests/trash.* out

.PHONY: all deps check check-unit check-cli check-tui check-fuzz fuzz fuzz-run bench install clean
