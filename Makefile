# swish: one non-recursive Makefile.
#
#   make            build/swish, build/libswish.a and build/libswish.so (plus ./swish, a link to the binary)
#   make test       every test: the layer check, Check suites, fuzz-corpus replay, cross-checks (installs deps)
#   make asan       the whole suite under AddressSanitizer
#   make ubsan      the whole suite under UndefinedBehaviorSanitizer
#   make DEBUG=1    any build with the SW_ASSERT invariants checked (the sanitizer builds do)
#   make tsan       the whole suite under ThreadSanitizer (clang, LLVM libomp + Archer)
#   make fuzz       libFuzzer on each model reader and CSV (FUZZ_SECONDS each, clang;
#                   FUZZ_TARGETS=cbm picks readers)
#   make fuzz-quick every reader for FUZZ_QUICK_SECONDS (CI): a finding fails
#   make bench      every benchmark, one table;  make bench-quick: the CI budget check
#   make demo       the main job end to end on a simulated league
#   make deps       install the Debian packages swish needs (only those missing)
#   make install    the binary, libswish.so/.a, headers (swish.h), pkg-config file, man page and
#                   the Python module under $(DESTDIR)$(PREFIX) (PREFIX=/usr/local); make uninstall
#   make check-install  install into a temporary prefix; test the C library through pkg-config
#                   and the Python module against the CLI and XGBoost (part of make test)
#   make check-pg   the store's suites on a PostgreSQL server started for them (part of make test)
#   make install-systemd   the units of tools/deploy to /etc/systemd/system, the example
#                   config to /etc/swish/swish.conf unless present (docs/DEPLOY.md)
#   make check-layers   include directions: core <- gbdt <- io <- features <- pipeline <- tools
#
# Objects are position-independent: one set serves the binary, libswish.a and
# libswish.so (-fno-semantic-interposition keeps calls inside the library direct).
# The build prints one line per step ("CC core/csv.c"); V=1 prints the commands.

CC      ?= cc
ifeq ($(V),1)
Q   :=
msg := @:
else
Q   := @
msg := @printf '  %-6s %s\n'
MAKEFLAGS += --no-print-directory
endif
OPT     ?= -O2
BUILD   ?= build
SWISH_SHARED ?= ../shared
export SWISH_SHARED

# DEBUG=1 (and the sanitizer builds) check the SW_ASSERT invariants.
DEBUG_FLAGS := $(if $(DEBUG),-DSW_DEBUG)
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS_ALL := -std=c11 $(OPT) -g $(WARN) -D_GNU_SOURCE -fopenmp -fPIC -fno-semantic-interposition -MMD -MP -I. \
              -I/usr/include/x86_64-linux-gnu/openblas-pthread -I/usr/include/postgresql $(DEBUG_FLAGS) $(EXTRA_CFLAGS)
LDLIBS_ALL := -fopenmp -lsqlite3 -lpq -lopenblas -lcurl -lmicrohttpd -lcrypto -lm -lpthread $(EXTRA_LDFLAGS)
CHECK_LIBS := -lcheck -lsubunit -lrt -lm -pthread

# ISA-specific translation units: only these get vector ISA flags.
AVX2_FLAGS   := -mavx2 -mfma -mbmi -mbmi2 -mpopcnt -mlzcnt
AVX512_FLAGS := $(AVX2_FLAGS) -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vbmi

LIB_DIRS := core gbdt io features pipeline
LIB_SRC  := $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c))
LIB_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC))
TOOL_SRC := $(wildcard tools/*.c)
TOOL_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(TOOL_SRC))
TEST_SRC := $(wildcard tests/test_*.c) tests/run_tests.c tests/testutil.c tests/models.c
TEST_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(TEST_SRC))
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
BENCH_SRC := $(wildcard bench/*.c)

LIB  := $(BUILD)/libswish.a
# libswish.so: the public API (every exported sw_ name; sw__ names are internal)
# under one symbol version.  Before 1.0 a minor release may change the ABI, so
# the soname carries major.minor.
SW_VERSION_FULL := $(shell sed -n 's/^\#define SW_VERSION "\(.*\)"/\1/p' core/version.h)
SOVERSION := $(basename $(SW_VERSION_FULL))
SONAME := libswish.so.$(SOVERSION)
SHLIB := $(BUILD)/libswish.so.$(SW_VERSION_FULL)
# Installed headers: every module header but the internal ones.
PUBLIC_HDRS := $(filter-out %_impl.h gbdt/grow.h,$(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.h)))
BIN  := $(BUILD)/swish
TESTBIN := $(BUILD)/run_tests
REPLAY  := $(BUILD)/fuzz_replay
BENCHBIN := $(BUILD)/swish_bench

.PHONY: all test asan ubsan tsan fuzz fuzz-bins fuzz-quick bench bench-quick bench-serve demo deps install uninstall \
        check-install check-pg install-systemd check-layers clean unit

all: $(LIB) $(SHLIB) $(BUILD)/include/swish.h $(BIN) swish

swish: $(BIN)
	@if [ "$(BUILD)" = "build" ]; then ln -sf $(BIN) swish; fi

# Objects are rebuilt when the compiler flags change (build/.flags holds the last ones).
ifneq ($(file <$(BUILD)/.flags),$(CFLAGS_ALL))
$(shell mkdir -p $(BUILD))
$(file >$(BUILD)/.flags,$(CFLAGS_ALL))
endif
$(BUILD)/%.o: %.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(msg) CC $<
	$(Q)$(CC) $(CFLAGS_ALL) $(if $(findstring _avx512,$<),$(AVX512_FLAGS),$(if $(findstring _avx2,$<),$(AVX2_FLAGS))) \
	    $(if $(findstring tests/fuzz/fuzz_,$<),-DSW_FUZZ_REPLAY) $(VERSION_FLAGS) -c $< -o $@

# The commit goes into core/version.o (rebuilt when the checkout's HEAD or index moves).
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null)
$(BUILD)/core/version.o: VERSION_FLAGS := -DSW_COMMIT='"$(GIT_COMMIT)"'
$(BUILD)/core/version.o: $(wildcard .git/HEAD .git/index)

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(msg) AR $@
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/libswish.map: core/version.h
	@mkdir -p $(dir $@)
	$(Q)printf 'SWISH_%s {\n  global: sw_[a-z0-9]*;\n  local: *;\n};\n' $(SOVERSION) > $@

$(SHLIB): $(LIB_OBJ) $(BUILD)/libswish.map
	$(msg) LD $@
	$(Q)$(CC) $(CFLAGS_ALL) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=$(BUILD)/libswish.map \
	    -Wl,--no-undefined -o $@ $(LIB_OBJ) $(LDLIBS_ALL)
	$(Q)ln -sf $(notdir $@) $(BUILD)/$(SONAME) && ln -sf $(SONAME) $(BUILD)/libswish.so

# swish.h: the umbrella header, one include per public header.
$(BUILD)/include/swish.h: $(PUBLIC_HDRS) Makefile
	@mkdir -p $(dir $@)
	$(msg) GEN $@
	$(Q){ printf '/* swish.h: the whole public API of libswish (generated by make). */\n'; \
	  printf '#ifndef SWISH_H\n#define SWISH_H\n\n#ifdef __cplusplus\nextern "C" {\n#endif\n\n'; \
	  for h in $(PUBLIC_HDRS); do printf '#include "%s"\n' $$h; done; \
	  printf '\n#ifdef __cplusplus\n}\n#endif\n\n#endif\n'; } > $@

$(BIN): $(TOOL_OBJ) $(LIB)
	$(msg) LD $@
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $(TOOL_OBJ) $(LIB) $(LDLIBS_ALL)

$(TESTBIN): $(TEST_OBJ) $(LIB)
	$(msg) LD $@
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $(TEST_OBJ) $(LIB) $(CHECK_LIBS) $(LDLIBS_ALL)

# Fuzz targets are also compiled into the replay driver (-DSW_FUZZ_REPLAY renames
# their entry points): one source, two uses.
$(REPLAY): $(BUILD)/tests/fuzz/replay.o $(patsubst %,$(BUILD)/tests/fuzz/fuzz_%.o,$(FUZZ_TARGETS)) $(LIB)
	$(msg) LD $@
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

$(BENCHBIN): $(patsubst %.c,$(BUILD)/%.o,$(BENCH_SRC)) $(LIB)
	$(msg) LD $@
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)


unit: $(TESTBIN) $(REPLAY) $(BIN)
	$(Q)SWISH_BIN=$(BIN) ./$(TESTBIN)
	$(Q)./$(REPLAY) tests/fuzz/corpus

test: deps check-layers all unit check-install check-pg

# The store's suites again on a real PostgreSQL server (tests/pg/run.sh: initdb
# in a temporary folder, an unprivileged user, 127.0.0.1 only).
check-pg: $(TESTBIN) $(BIN)
	$(Q)SWISH_BIN=$(BIN) tests/pg/run.sh ./$(TESTBIN)

# Sanitizer builds link their runtimes (libasan, libubsan; make tsan: LLVM's
# libomp): the test of the product binary's shared libraries against the Docker
# image (tag product-build) does not apply to them and is left out.
asan:
	$(Q)CK_EXCLUDE_TAGS=product-build $(MAKE) BUILD=build/asan OPT=-O1 DEBUG=1 EXTRA_CFLAGS="-fsanitize=address -fno-omit-frame-pointer" \
	    EXTRA_LDFLAGS="-fsanitize=address" ASAN_OPTIONS=detect_leaks=1 unit

ubsan:
	$(Q)CK_EXCLUDE_TAGS=product-build $(MAKE) BUILD=build/ubsan OPT=-O1 DEBUG=1 EXTRA_CFLAGS="-fsanitize=undefined -fno-sanitize-recover=all" \
	    EXTRA_LDFLAGS="-fsanitize=undefined" unit

# ThreadSanitizer must see every synchronisation: GCC's libgomp is not
# instrumented (its barriers look like races), so this builds with clang and
# LLVM's libomp, whose OMPT tool Archer (libarcher.so) tells TSan about OpenMP's
# barriers, reductions and locks; ignore_noninstrumented_modules=1 is Archer's
# documented companion setting (libomp's own accesses).  No suppressions.
# The options go to the inner make as a command-line variable: one given to
# `make tsan TSAN_OPTIONS=...` is added to them (an environment value made
# in this recipe would lose to it, and the reports of libomp's internals that
# ignore_noninstrumented_modules hides came back).
# target_clones is defined away: the ifunc resolvers it generates run before
# the TSan runtime starts and crash in their instrumentation (each such
# function is compiled once, for the baseline ISA).  Check's timeouts are
# stretched for TSan's slowdown; the product-build test is left out (above).
TSAN_ARCHER := /usr/lib/llvm-14/lib/libarcher.so
tsan: deps
	$(Q)OMP_TOOL_LIBRARIES=$(TSAN_ARCHER) CK_TIMEOUT_MULTIPLIER=20 CK_EXCLUDE_TAGS=product-build \
	$(MAKE) BUILD=build/tsan CC=clang OPT=-O1 DEBUG=1 EXTRA_LDFLAGS="-fsanitize=thread" \
	    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ignore_noninstrumented_modules=1 $(TSAN_OPTIONS)" \
	    EXTRA_CFLAGS="-fsanitize=thread -fno-omit-frame-pointer -D'target_clones(...)='" unit

# libFuzzer targets: tests/fuzz/fuzz_<reader>.c (model readers, csv) linked with core, gbdt and io
# (what the readers use) built once with ASan, UBSan and coverage.  Findings
# are saved as build/fuzz/<reader>-crash-* (or -timeout-, -oom-); a fixed one
# goes into tests/fuzz/corpus/<reader>/, which make test replays.
FUZZ_SECONDS ?= 60
FUZZ_QUICK_SECONDS ?= 20
FUZZ_CFLAGS := -std=c11 -O1 -g -D_GNU_SOURCE -DSW_DEBUG -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fopenmp
FUZZ_OPTS = -max_len=65536 -rss_limit_mb=1024 -timeout=10 -artifact_prefix=build/fuzz/$$t-
FUZZ_LIB_OBJ := $(patsubst %.c,build/fuzz/obj/%.o,$(wildcard core/*.c gbdt/*.c io/*.c))
FUZZ_BINS := $(patsubst %,build/fuzz/%,$(FUZZ_TARGETS))
build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(msg) CC $<
	$(Q)clang $(subst fuzzer,fuzzer-no-link,$(FUZZ_CFLAGS)) -MMD -MP \
	    $(if $(findstring _avx512,$<),$(AVX512_FLAGS),$(if $(findstring _avx2,$<),$(AVX2_FLAGS))) -c $< -o $@
$(FUZZ_BINS): build/fuzz/%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ_LIB_OBJ)
	$(msg) LD $@
	$(Q)clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB_OBJ) -lcurl -lcrypto -lm
fuzz-bins: $(FUZZ_BINS)

fuzz: deps
	$(Q)$(MAKE) fuzz-bins
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus_$$t; \
	  echo "fuzzing $$t for $(FUZZ_SECONDS) s"; \
	  ./build/fuzz/$$t $(FUZZ_OPTS) -max_total_time=$(FUZZ_SECONDS) \
	    build/fuzz/corpus_$$t tests/fuzz/corpus/$$t || exit 1; \
	done

# CI: each reader for FUZZ_QUICK_SECONDS (5 targets: about 100 s plus the build);
# one line per reader, the fuzzer's log tail and a failure on any finding.
fuzz-quick: deps
	$(Q)$(MAKE) fuzz-bins
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus_$$t; \
	  if ./build/fuzz/$$t $(FUZZ_OPTS) -max_total_time=$(FUZZ_QUICK_SECONDS) \
	       build/fuzz/corpus_$$t tests/fuzz/corpus/$$t >build/fuzz/$$t.log 2>&1; then \
	    echo "fuzz $$t: $$(grep -o 'Done [0-9]* runs' build/fuzz/$$t.log | tr -dc 0-9) inputs in $(FUZZ_QUICK_SECONDS) s, nothing found"; \
	  else \
	    tail -n 30 build/fuzz/$$t.log; \
	    echo "fuzz $$t: FINDING, input saved as $$(ls -t build/fuzz/$$t-* 2>/dev/null | head -n 1)" >&2; \
	    exit 1; \
	  fi; \
	done

bench: deps all $(BENCHBIN)
	$(Q)./$(BENCHBIN) all

bench-quick: all $(BENCHBIN)
	$(Q)./$(BENCHBIN) quick
bench-contention: all $(BENCHBIN) ; $(Q)./$(BENCHBIN) contention
bench-serve: all $(BENCHBIN) ; $(Q)./$(BENCHBIN) serve

demo: deps all
	$(Q)./$(BIN) demo

# install: the binary, the libraries, the headers under include/swish (swish.h
# includes them all), swish.pc, the man page made from the commands' own --help,
# and the Python module (tools/python/swish.py, told where libswish.so is).
# install-systemd: tools/deploy's units, ExecStart pointed at $(PREFIX)/bin/swish,
# and the example configuration, never over an existing one.  DESTDIR stages
# either for a package.
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PYTHON ?= /usr/bin/python3
PY_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
PYTHONDIR ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/lib/python3/dist-packages,$(PREFIX)/lib/python$(PY_VERSION)/dist-packages)
SYSTEMD_UNITS := $(wildcard tools/deploy/*.service tools/deploy/*.timer)
$(BUILD)/swish.1: $(BIN) tools/manpage.sh
	$(msg) GEN $@
	$(Q)sh tools/manpage.sh $(BIN) > $@.tmp && mv $@.tmp $@

install: all $(BUILD)/swish.1
	$(msg) INSTALL "$(DESTDIR)$(PREFIX): bin/swish, $(SHLIB:$(BUILD)/%=%), libswish.a, swish.h, swish.pc, swish.1, swish.py"
	$(Q)install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/swish
	$(Q)install -D -m 0755 $(SHLIB) $(DESTDIR)$(LIBDIR)/$(notdir $(SHLIB))
	$(Q)ln -sf $(notdir $(SHLIB)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	$(Q)ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libswish.so
	$(Q)install -m 0644 $(LIB) $(DESTDIR)$(LIBDIR)/libswish.a
	$(Q)for h in $(PUBLIC_HDRS); do install -D -m 0644 $$h $(DESTDIR)$(INCLUDEDIR)/swish/$$h || exit 1; done
	$(Q)install -m 0644 $(BUILD)/include/swish.h $(DESTDIR)$(INCLUDEDIR)/swish/swish.h
	$(Q)install -d $(DESTDIR)$(LIBDIR)/pkgconfig
	$(Q)printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' '' \
	  'Name: swish' 'Description: NBA player-points prediction engine: GBDT training, exact XGBoost/CatBoost scoring' \
	  'Version: $(SW_VERSION_FULL)' 'Cflags: -I$${includedir}/swish' 'Libs: -L$${libdir} -lswish' \
	  'Libs.private: $(filter-out $(EXTRA_LDFLAGS),$(LDLIBS_ALL))' > $(DESTDIR)$(LIBDIR)/pkgconfig/swish.pc
	$(Q)install -D -m 0644 $(BUILD)/swish.1 $(DESTDIR)$(MANDIR)/man1/swish.1
	$(Q)install -d $(DESTDIR)$(PYTHONDIR)
	$(Q)sed 's#^_INSTALLED_LIB = None#_INSTALLED_LIB = "$(LIBDIR)/$(SONAME)"#' tools/python/swish.py \
	  > $(DESTDIR)$(PYTHONDIR)/swish.py && chmod 0644 $(DESTDIR)$(PYTHONDIR)/swish.py
	$(Q)if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ldconfig 2>/dev/null || true; fi

uninstall:
	$(msg) REMOVE "$(DESTDIR)$(PREFIX): what make install put there"
	$(Q)rm -f $(DESTDIR)$(PREFIX)/bin/swish $(DESTDIR)$(LIBDIR)/libswish.so* $(DESTDIR)$(LIBDIR)/libswish.a \
	  $(DESTDIR)$(LIBDIR)/pkgconfig/swish.pc $(DESTDIR)$(MANDIR)/man1/swish.1 $(DESTDIR)$(PYTHONDIR)/swish.py
	$(Q)rm -rf $(DESTDIR)$(INCLUDEDIR)/swish

check-install: all
	$(Q)PYTHON=$(PYTHON) BUILD=$(BUILD) sh tests/install/run.sh

install-systemd:
	$(msg) INSTALL "$(DESTDIR)/etc/systemd/system: $(notdir $(SYSTEMD_UNITS))"
	$(Q)install -d $(DESTDIR)/etc/systemd/system
	$(Q)for u in $(SYSTEMD_UNITS); do d=$(DESTDIR)/etc/systemd/system/$${u##*/}; \
	  sed 's#/usr/local/bin/swish#$(PREFIX)/bin/swish#g' $$u > $$d && chmod 0644 $$d || exit 1; \
	done
	$(Q)if [ -e $(DESTDIR)/etc/swish/swish.conf ]; then \
	  printf '  %-6s %s\n' KEPT "$(DESTDIR)/etc/swish/swish.conf (exists; see tools/deploy/swish.conf.example)"; \
	else \
	  printf '  %-6s %s\n' INSTALL $(DESTDIR)/etc/swish/swish.conf; \
	  install -D -m 0644 tools/deploy/swish.conf.example $(DESTDIR)/etc/swish/swish.conf; \
	fi

# Debian packages: build (libcurl for the object store), tests (Check, XGBoost as
# a reference, Chromium for the report test, Python for the fake S3 server),
# fuzzing (clang's libFuzzer runtime), tsan (LLVM's libomp and Archer).
# Node and npm come from Debian only when no npm is found (a NodeSource nodejs
# conflicts with Debian's npm); the real S3 server of the object-store tests,
# s3rver, is pinned in tests/s3/package-lock.json.
DEB_PKGS := gcc make pkg-config libsqlite3-dev libpq-dev postgresql libopenblas-dev libcurl4-openssl-dev libssl-dev libmicrohttpd-dev \
            check libsubunit-dev python3 python3-numpy python3-xgboost groff-base locales clang libclang-rt-14-dev libomp-14-dev chromium \
            prometheus wrk hey systemd openssl strace
S3RVER := tests/s3/node_modules/@20minutes/s3rver/package.json
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root to install:$$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "installing: nodejs npm"; \
	  if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root to install: nodejs npm" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null || exit 1; \
	fi
	@if [ ! -f $(S3RVER) ]; then \
	  echo "installing: tests/s3/node_modules (npm ci)"; \
	  npm ci --prefix tests/s3 --no-audit --no-fund >/dev/null || exit 1; \
	fi

# core <- gbdt <- io <- features <- pipeline <- tools: a file may include only its
# own layer and those to its left.
check-layers:
	@fail=0; order="core gbdt io features pipeline tools"; \
	for d in $(LIB_DIRS) tools; do \
	  allowed=""; for o in $$order; do allowed="$$allowed $$o"; [ $$o = $$d ] && break; done; \
	  for f in $$d/*.c $$d/*.h; do [ -f $$f ] || continue; \
	    for inc in $$(sed -n 's/^#include "\([a-z]*\)\/.*/\1/p' $$f); do \
	      case " $$allowed " in *" $$inc "*) ;; *) echo "$$f includes $$inc/ (not allowed)"; fail=1;; esac; \
	    done; \
	  done; \
	done; exit $$fail

clean:
	rm -rf build swish

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/*/*/*.d build/fuzz/obj/*/*.d)
