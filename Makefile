# pagegate build: the host VMM (build/pagegate), the freestanding guest
# (build/guest-bench.elf) and the tests.  `make SAN=1` builds the host side with ASan and
# UBSan into build-san/.  Source lists are flat and explicit.

SHELL := /bin/bash
CC ?= gcc
CXX ?= g++
SAN ?= 0
BUILD := $(if $(filter 1,$(SAN)),build-san,build)

WARN := -Wall -Wextra -Werror
HOST_CFLAGS := -std=c11 -O2 -g $(WARN) -D_GNU_SOURCE -MMD -MP -I$(BUILD)/gen
HOST_LDFLAGS :=
HOST_CXXFLAGS = -std=c++17 -O2 -g $(WARN) -MMD -MP
ifeq ($(SAN),1)
HOST_CXXFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer
HOST_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
HOST_LDFLAGS += -fsanitize=address,undefined
endif

GUEST_CFLAGS := -std=c11 -O2 -g $(WARN) -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-mno-red-zone -mgeneral-regs-only -fcf-protection=none -fno-asynchronous-unwind-tables \
	-MMD -MP
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,guest-bench/guest.ld -Wl,-z,max-page-size=0x1000 \
	-Wl,--build-id=none -Wl,-z,noexecstack

VMM_SRCS := vmm-min/kvm.c vmm-min/platform.c vmm-min/boot.c vmm-min/elfload.c vmm-min/gmem.c vmm-min/ptwalk.c \
	vmm-min/exit.c vmm-min/console.c vmm-min/control.c vmm-min/pagecheck.c vmm-min/selftest.c
MAIN_SRCS := vmm-min/main.c
# Transports: each folder has guest.c (the guest half) and host.c with any other host
# sources (skeleton is built, not registered).
TRANSPORTS := basic extended ptcopy ring skeleton
DEVICES := sink echo pattern
DEVICE_MODULES := sink echo pattern skeleton file_sink file_source camera
TEST_MODULES := bad_abi no_entry dup_op
TRANSPORT_HOST_SRCS := transports/host_core.c transports/registry.c devices/registry.c \
	$(foreach d,$(DEVICES),devices/$(d).c) \
	$(foreach t,$(TRANSPORTS),$(filter-out transports/$(t)/guest.c,$(sort $(wildcard transports/$(t)/*.c))))
TRANSPORT_GUEST_SRCS := transports/guest_api.c transports/guest_registry.c \
	$(foreach t,$(TRANSPORTS),transports/$(t)/guest.c)
HARNESS_SRCS := harness/session.c harness/bench.c harness/stats.c harness/csv.c harness/dataset.c \
	harness/order.c harness/hostcopy.c harness/summary.c harness/spread.c \
	harness/pin.c harness/table.c harness/plot.c harness/micro.c harness/model.c harness/notify.c harness/camera.c
GUEST_SRCS := guest-bench/kernel/entry.S guest-bench/kernel/kernel.c guest-bench/kernel/paging.c \
	guest-bench/kernel/frames.c guest-bench/lib/string.c guest-bench/lib/printf.c \
	guest-bench/user/start.c guest-bench/user/selftest.c guest-bench/user/serve.c \
	guest-bench/user/micro.c guest-bench/user/hostile.c guest-bench/user/hostile_ring.c guest-bench/user/notify.c guest-bench/user/camera.c \
	$(TRANSPORT_GUEST_SRCS)
# Guest code the host tests build natively, to check the host against it.
SHARED_GUEST_SRCS := guest-bench/kernel/paging.c guest-bench/kernel/frames.c
TEST_NAMES := test_ptwalk test_elf test_frames test_model test_cbench test_repro test_ring test_hostile_random test_kvm test_devices test_transports test_harness

host_obj = $(patsubst %.c,$(BUILD)/host/%.o,$(1))
CBENCH_SRCS := harness/cbench/cbench.cc
VMM_OBJS := $(call host_obj,$(VMM_SRCS) $(TRANSPORT_HOST_SRCS) $(HARNESS_SRCS)) \
	$(patsubst %.cc,$(BUILD)/host/%.o,$(CBENCH_SRCS))
MAIN_OBJS := $(call host_obj,$(MAIN_SRCS))
SHARED_GUEST_OBJS := $(call host_obj,$(SHARED_GUEST_SRCS))
GUEST_OBJS := $(patsubst %,$(BUILD)/guest/%.o,$(basename $(GUEST_SRCS)))
TEST_BINS := $(addprefix $(BUILD)/tests/,$(TEST_NAMES))

.PHONY: all test run-tests san clean plots fuzz fuzz-build FORCE
all: $(BUILD)/pagegate $(BUILD)/guest-bench.elf $(addprefix $(BUILD)/devices/,$(addsuffix .so,$(DEVICE_MODULES))) \
	$(addprefix $(BUILD)/test-modules/,$(addsuffix .so,$(TEST_MODULES)))

# Device modules (shared objects for --device) and the deliberately broken ones the tests load.
$(BUILD)/devices/%.so: devices/%.c devices/device_abi.h devices/file_io.h
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -DPG_DEVICE_MODULE -fPIC -shared -o $@ $< $(if $(findstring file_,$*),-luring)

$(BUILD)/test-modules/%.so: tests/modules/%.c devices/device_abi.h
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -DPG_DEVICE_MODULE -fPIC -shared -o $@ $<

HOST_LIBS := -lhwloc -lbenchmark -lstdc++ -lpthread -lm -ldl

$(BUILD)/pagegate: $(MAIN_OBJS) $(BUILD)/libpagegate.a
	$(CC) $(HOST_LDFLAGS) -o $@ $^ $(HOST_LIBS)

# The git revision the binary is built from, for the datasets' metadata; rewritten only
# when it changes.
$(BUILD)/gen/git.h: FORCE
	@mkdir -p $(dir $@)
	@sha=$$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown); \
	dirty=$$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo 1 || echo 0); \
	printf '#define PG_GIT_SHA "%s"\n#define PG_GIT_DIRTY %s\n' "$$sha" "$$dirty" > $@.tmp; \
	cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp
$(BUILD)/host/harness/dataset.o: $(BUILD)/gen/git.h
FORCE:

$(BUILD)/libpagegate.a: $(VMM_OBJS) $(SHARED_GUEST_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/host/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -c -o $@ $<

$(BUILD)/host/%.o: %.cc
	@mkdir -p $(dir $@)
	$(CXX) $(HOST_CXXFLAGS) -c -o $@ $<

$(BUILD)/guest-bench.elf: $(GUEST_OBJS) guest-bench/guest.ld
	$(CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $(GUEST_OBJS)

$(BUILD)/guest/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(BUILD)/guest/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(BUILD)/libpagegate.a
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Ivmm-min -o $@ $< $(BUILD)/libpagegate.a $(HOST_LDFLAGS) $(HOST_LIBS) -lcmocka

# The random hostile-guest driver shares the fuzzer's fake VM and oracles.
$(BUILD)/tests/test_hostile_random: tests/test_hostile_random.c fuzz/hostile_vm.c fuzz/hostile_vm.h $(BUILD)/libpagegate.a
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Ivmm-min -o $@ tests/test_hostile_random.c fuzz/hostile_vm.c $(BUILD)/libpagegate.a \
		$(HOST_LDFLAGS) $(HOST_LIBS) -lcmocka

# The one test command (README.md): installs missing packages when root, builds, then
# runs every test binary, normal build and ASan+UBSan build; the KVM tests run natively
# where /dev/kvm opens and inside an emulated VM where it does not (tests/run-tests).
test:
	@harness/deps.sh
	$(MAKE) run-tests
	$(MAKE) SAN=1 run-tests
	$(MAKE) fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS)

run-tests: all $(TEST_BINS)
	@tests/run-tests $(BUILD) $(TEST_NAMES)

san:
	$(MAKE) SAN=1 all

# libFuzzer targets (clang, ASan + UBSan): the page walkers and the doorbell engine.
FUZZ_CC := clang
FUZZ_SECONDS ?= 60
TEST_FUZZ_SECONDS ?= 20
FUZZ_FLAGS := -std=c11 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_HOST_SRCS := $(filter-out vmm-min/selftest.c,$(VMM_SRCS)) $(TRANSPORT_HOST_SRCS)
FUZZ_TARGETS := fuzz_ptwalk fuzz_doorbell fuzz_ring

fuzz-build: $(addprefix build/fuzz/,$(FUZZ_TARGETS))

build/fuzz/fuzz_ptwalk: fuzz/fuzz_ptwalk.c vmm-min/gmem.c vmm-min/ptwalk.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^

build/fuzz/fuzz_doorbell: fuzz/fuzz_doorbell.c fuzz/hostile_vm.c $(FUZZ_HOST_SRCS) guest-bench/kernel/paging.c \
		| build/devices/skeleton.so
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^ -ldl -lhwloc -lpthread

# fuzz_ring includes transports/ring/host.c (its serving step is static there).
build/fuzz/fuzz_ring: fuzz/fuzz_ring.c transports/ring/host.c $(FUZZ_HOST_SRCS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ fuzz/fuzz_ring.c $(filter-out transports/ring/host.c,$(FUZZ_HOST_SRCS)) \
		-ldl -lhwloc -lpthread

# Each target for FUZZ_SECONDS from its committed seed corpus (new inputs go to build/).
fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p build/fuzz/corpus-$$t && \
		build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -close_fd_mask=3 -print_final_stats=1 \
			build/fuzz/corpus-$$t fuzz/corpus/$$(echo $$t | sed 's/fuzz_//') 2>&1 | \
			grep -E 'stat::number_of_executed_units|stat::peak_rss|ERROR|SUMMARY|Done' | sed "s/^/$$t: /"; \
		test $${PIPESTATUS[0]} -eq 0 || exit 1; \
	done

# Figures of a dataset: make plots DATA=datasets/runs/<run>
plots: all
	@test -n "$(DATA)" || { echo "usage: make plots DATA=<dataset folder>" >&2; exit 2; }
	$(BUILD)/pagegate plot $(DATA)

clean:
	rm -rf build build-san

-include $(shell find build build-san -name '*.d' 2>/dev/null)
