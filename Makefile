# husk: build, install, test, benchmark, demo.  `make help` lists the targets.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin

SANITIZE ?= 0
# husk is a static PIE (STATIC=1, the default outside the sanitizer build).  Each start of a
# dynamically linked husk paid the dynamic loader: mapping libc and libmnl, relocating them,
# resolving symbols and faulting their pages in.  On this VM a page fault costs ~15 us, and a
# static husk runs a container 1.4-2.5 ms faster (paired runs of `husk run`): more than any
# change to husk's own code path.  Only the objects husk calls come along.
# Debian has no libmnl.a: netns/mnl_load.c loads libmnl.so.0 with dlopen() when a command first
# opens a netlink socket, so only network commands pay for it.  Linking warns that a static
# dlopen needs, at run time, the glibc it was linked with: true, and one more reason husk is
# built where it runs (after an upgrade of glibc itself, rebuild; STATIC=0 links glibc shared).
ifeq ($(SANITIZE),1)
ifeq ($(STATIC),1)
$(error SANITIZE=1 needs the dynamic loader (ASan): drop STATIC=1)
endif
STATIC = 0
BUILD ?= build/san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT = -O1 -g
else
STATIC ?= 1
BUILD ?= $(if $(filter 1,$(STATIC)),build/rel,build/rel-dynamic)
SANFLAGS =
OPT = -O2 -g
endif

CC ?= cc
PKGS = libcap libseccomp jansson libmnl libnftnl libarchive libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# Every library Debian ships an archive of is linked statically in both modes.
STATIC_LIBS = -larchive -lnftnl -lcrypto -lzstd -llzma -lz -lcap -lseccomp -ljansson
ifeq ($(STATIC),1)
LINK_MODE = -static-pie
PKG_LIBS := $(STATIC_LIBS)
else
LINK_MODE =
PKG_LIBS := -Wl,--as-needed -Wl,-Bstatic $(STATIC_LIBS) -Wl,-Bdynamic
endif
# Unit tests also write archives (libarchive's writers want libxml2, bzip2, nettle): shared.
UNIT_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN = -Wall -Wextra -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes -Wshadow -Werror \
       -Wno-unused-parameter
CFLAGS ?= $(OPT)
override CFLAGS += -std=gnu11 $(WARN) -D_FORTIFY_SOURCE=2 -fstack-protector-strong \
	-DHUSK_VERSION=\"$(VERSION)\" -DHUSK_COMMIT=\"$(COMMIT)\" \
	$(SANFLAGS) $(PKG_CFLAGS) -MMD -MP
LDFLAGS += $(SANFLAGS)

VERSION := 0.1.0
COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

MODULES = common cgroups netns images runtime
# Each lower module is a static library; runtime links them all.  cgroups, netns and images
# see only common/ (the dependency direction of STYLE.md); `make lint` fails on a stray include
# of a sibling or of runtime/ (the table in tests/helpers/lint).
define module_objs
$(patsubst %.c,$(BUILD)/%.o,$(wildcard $(1)/*.c))
endef
COMMON_OBJS := $(call module_objs,common)
CGROUPS_OBJS := $(call module_objs,cgroups)
NETNS_OBJS := $(call module_objs,netns)
IMAGES_OBJS := $(call module_objs,images)
# runtime/ is cut into rooms that call one way: cli -> container -> init -> core, pod -> spec.
# The command line (runtime/cli: main.c, the command table, cmd_*.c) links into husk on its
# own and stays out of libruntime.a, which the unit tests and fuzz targets link.
RUNTIME_ROOMS = container init core pod spec
RUNTIME_OBJS := $(foreach r,$(RUNTIME_ROOMS),$(call module_objs,runtime/$(r)))
CLI_OBJS := $(call module_objs,runtime/cli)

LIBCOMMON = $(BUILD)/libcommon.a
LIBCGROUPS = $(BUILD)/libcgroups.a
LIBNETNS = $(BUILD)/libnetns.a
LIBIMAGES = $(BUILD)/libimages.a
LIBRUNTIME = $(BUILD)/libruntime.a
HUSK = $(BUILD)/husk

.PHONY: all install uninstall deps test-deps vm-deps bench-deps check check-unit check-integration \
	check-vm check-vm-runc check-vm-legacy check-vm-legacy-runc bench demo format format-check \
	lint lint-deps clean help unit

all: $(HUSK)

V ?= 0
ifeq ($(V),0)
Q = @
endif

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(LIBCOMMON): $(COMMON_OBJS)
$(LIBCGROUPS): $(CGROUPS_OBJS)
$(LIBNETNS): $(NETNS_OBJS)
$(LIBIMAGES): $(IMAGES_OBJS)
$(LIBRUNTIME): $(RUNTIME_OBJS)
$(BUILD)/lib%.a:
	@mkdir -p $(dir $@)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

ALL_LIBS = $(LIBRUNTIME) $(LIBIMAGES) $(LIBNETNS) $(LIBCGROUPS) $(LIBCOMMON)

$(HUSK): $(CLI_OBJS) $(ALL_LIBS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LINK_MODE) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# --- unit tests (cmocka): tests/unit/test_<module>_*.c links that module and common/ ---
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
# tests/unit/testutil.c: helpers every unit binary links (scratch dirs, fake cgroups, children).
UNIT_UTIL = tests/unit/testutil.c tests/unit/testutil.h
UNIT_LINK = @mkdir -p $(dir $@); $(if $(Q),echo "  LD      $@";) \
	$(CC) $(CFLAGS) -Wno-missing-prototypes -o $@ $(filter %.c,$^) $(filter %.a,$^) \
	$(LDFLAGS) $(UNIT_LIBS) -lcmocka
$(filter $(BUILD)/tests/unit/test_common_%,$(UNIT_BINS)): $(BUILD)/tests/unit/test_common_%: tests/unit/test_common_%.c $(LIBCOMMON) $(UNIT_UTIL)
	$(UNIT_LINK)
$(filter $(BUILD)/tests/unit/test_cg_%,$(UNIT_BINS)): $(BUILD)/tests/unit/test_cg_%: tests/unit/test_cg_%.c $(LIBCGROUPS) $(LIBCOMMON) $(UNIT_UTIL)
	$(UNIT_LINK)
$(filter $(BUILD)/tests/unit/test_net_%,$(UNIT_BINS)): $(BUILD)/tests/unit/test_net_%: tests/unit/test_net_%.c $(LIBNETNS) $(LIBCOMMON) $(UNIT_UTIL)
	$(UNIT_LINK)
$(filter $(BUILD)/tests/unit/test_img_%,$(UNIT_BINS)): $(BUILD)/tests/unit/test_img_%: tests/unit/test_img_%.c $(LIBIMAGES) $(LIBCOMMON) $(UNIT_UTIL)
	$(UNIT_LINK)
$(filter $(BUILD)/tests/unit/test_rt_%,$(UNIT_BINS)): $(BUILD)/tests/unit/test_rt_%: tests/unit/test_rt_%.c $(ALL_LIBS) $(UNIT_UTIL)
	$(UNIT_LINK)

# netns/mnl_load.c in a binary linked like husk (static in build/rel), where its errno bridge
# between two libcs is at work.  Debian has no static cmocka: it prints TAP itself.
MNL_CHECK = $(BUILD)/tests/unit/mnl_load_check
$(MNL_CHECK): tests/unit/mnl_load_check.c $(LIBNETNS) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LINK_MODE) -o $@ $< $(LIBNETNS) $(LIBCOMMON) $(LDFLAGS)

unit: $(UNIT_BINS) $(MNL_CHECK)

# --- dependencies from Debian, installed when missing ---
BUILD_DEBS = gcc make pkg-config libcap-dev libseccomp-dev libjansson-dev libmnl-dev \
	libnftnl-dev libarchive-dev libssl-dev libzstd-dev liblzma-dev zlib1g-dev
TEST_DEBS = libcmocka-dev bats busybox-static iproute2 procps perl zstd python3 jq strace nftables \
	runc podman conmon catatonit containerd docker.io
VM_DEBS = qemu-system-x86 linux-image-amd64 cpio
BENCH_DEBS = crun runc time umoci containernetworking-plugins
LINT_DEBS = clang-format shellcheck
APT_ENSURE = tests/helpers/apt-ensure

deps:
	@$(APT_ENSURE) $(BUILD_DEBS)
test-deps: deps
	@$(APT_ENSURE) $(TEST_DEBS)
vm-deps:
	@$(APT_ENSURE) $(VM_DEBS)
bench-deps: test-deps
	@$(APT_ENSURE) $(BENCH_DEBS)
lint-deps:
	@$(APT_ENSURE) $(LINT_DEBS)

install: $(HUSK)
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(HUSK) $(DESTDIR)$(BINDIR)/husk

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/husk

# --- fuzzing (tests/fuzz/README): libFuzzer targets for every parser of outside input ---
# The library sources are compiled again with clang into build/fuzz (fuzzer coverage,
# ASan+UBSan), apart from husk's own objects and flags.  `make fuzz` runs each target for
# FUZZ_SECONDS (new inputs go to build/fuzz/corpus/, crashes to build/fuzz/crashes/);
# `make fuzz-replay` (part of `make check`) runs the seed corpus once through each target.
FUZZ_DEBS = clang libclang-rt-14-dev
FUZZ_SECONDS ?= 180
FUZZ_DIR = build/fuzz
FUZZ_CC = clang
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# Warnings stay on but do not stop this build: husk's own (gcc) build is the one that enforces
# them, and a warning only clang gives must not fail `make check`.
FUZZ_CFLAGS = -std=gnu11 $(filter-out -Werror,$(WARN)) -O1 -g $(FUZZ_SAN) $(PKG_CFLAGS) -DHUSK_VERSION=\"$(VERSION)\" \
	-DHUSK_COMMIT=\"$(COMMIT)\" -MMD -MP
FUZZ_LIBS = $(patsubst %,$(FUZZ_DIR)/lib%.a,runtime images netns cgroups common)
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(wildcard tests/fuzz/fuzz_*.c))

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<
$(FUZZ_DIR)/libruntime.a: $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(foreach r,$(RUNTIME_ROOMS),$(wildcard runtime/$(r)/*.c)))
$(FUZZ_DIR)/libimages.a: $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(wildcard images/*.c))
$(FUZZ_DIR)/libnetns.a: $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(wildcard netns/*.c))
$(FUZZ_DIR)/libcgroups.a: $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(wildcard cgroups/*.c))
$(FUZZ_DIR)/libcommon.a: $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(wildcard common/*.c))
$(FUZZ_DIR)/lib%.a:
	@rm -f $@
	$(Q)$(AR) rcs $@ $^
$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_LIBS)
	@$(if $(Q),echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIBS) $(UNIT_LIBS) -ldl

.PHONY: fuzz fuzz-build fuzz-deps fuzz-replay
fuzz-deps: deps
	@$(APT_ENSURE) $(FUZZ_DEBS)
fuzz-build: $(FUZZ_TARGETS)
fuzz: fuzz-deps fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run $(FUZZ_DIR)
fuzz-replay: fuzz-deps fuzz-build
	prove -f --exec tests/helpers/run-one tests/fuzz/replay
# --- end of fuzzing ---

# --- tests ---
# `make check`: installs test dependencies, builds the release and the ASan+UBSan binaries and the
# fuzz targets, and runs (tests/helpers/run-tests) the unit tests of both, the integration and
# client suites against the sanitized binary, the fuzz corpus replay and the VM tests; prove
# prints one summary at the end.
check: test-deps vm-deps fuzz-deps
	$(MAKE) all unit
	$(MAKE) SANITIZE=1 all unit
	$(MAKE) fuzz-build
	tests/helpers/run-tests build/rel build/san

check-unit: unit
	prove -f --exec tests/helpers/run-one $(UNIT_BINS)

check-integration: all
	HUSK=$(abspath $(HUSK)) prove -f --exec tests/helpers/run-one tests/integration/*.bats

# The VM runs the husk just built (run-tests passes HUSK, the binary under test, the same way);
# check-vm-runc runs the same guest tests against runc, which checks the tests themselves;
# the -legacy variants run them on cgroup v1 hierarchies instead of cgroup2;
# check-vm-lib runs tests/vm/cg_smoke.c, the cgroups/ library alone.
check-vm: vm-deps all
	tests/vm/run $(abspath $(HUSK))
check-vm-runc: vm-deps
	tests/vm/run $$(command -v runc || echo /usr/sbin/runc)
check-vm-legacy: vm-deps all
	tests/vm/run-legacy $(abspath $(HUSK))
check-vm-legacy-runc: vm-deps
	tests/vm/run-legacy $$(command -v runc || echo /usr/sbin/runc)
check-vm-lib: vm-deps $(LIBCGROUPS) $(LIBCOMMON)
	tests/vm/run --lib

bench: bench-deps all
	tests/bench/run $(abspath $(HUSK))

demo: deps all
	tests/helpers/demo $(abspath $(HUSK))

FORMAT_SRCS = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_SRCS)
format-check:
	@clang-format --dry-run --Werror $(FORMAT_SRCS) && echo "format ok"

# The house rules a machine can check (tests/helpers/lint): formatting, shellcheck over the test
# scripts, the include direction of the modules, no prototype in a .c file.  CI runs it first.
lint: lint-deps
	@$(MAKE) --no-print-directory format-check
	@tests/helpers/lint

clean:
	rm -rf build

help:
	@echo "make [all]            build $(HUSK)"
	@echo "make demo             install what is missing, build, run a container (root)"
	@echo "make check            install test dependencies and run every test (root)"
	@echo "make lint             format-check, shellcheck, include direction, no prototype in a .c"
	@echo "make check-vm         cgroup v2 tests in a qemu VM (check-vm-legacy: on cgroup v1)"
	@echo "make bench            benchmarks against crun and runc"
	@echo "make install          PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)"
	@echo "make SANITIZE=1       ASan+UBSan build in build/san"
	@echo "make fuzz             run each fuzz target FUZZ_SECONDS=$(FUZZ_SECONDS) (tests/fuzz/README)"

-include $(shell find build -name '*.d' 2>/dev/null)
