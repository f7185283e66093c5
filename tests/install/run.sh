#!/bin/sh
# run.sh: what a user of `make install` gets, checked in a temporary prefix:
# the files, the library's exports, the man page, a C program built through
# pkg-config (shared and static), the Python module against the CLI and
# XGBoost (test_python.py), DESTDIR staging and make uninstall.
# Run by `make check-install` (part of make test) from the repository root.
set -eu
PY=${PYTHON:-python3}
BUILD=${BUILD:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check-install: $*" >&2; exit 1; }
say() { echo "check-install: $*"; }

prefix=$tmp/prefix
make --no-print-directory -s install BUILD="$BUILD" PREFIX="$prefix" >/dev/null
so=$(cd "$prefix/lib" && ls libswish.so.*.*.*)
for f in bin/swish lib/libswish.a lib/libswish.so "lib/$so" include/swish/swish.h include/swish/gbdt/score.h \
         lib/pkgconfig/swish.pc share/man/man1/swish.1; do
    [ -e "$prefix/$f" ] || fail "make install did not install $f"
done
pymod=$(ls "$prefix"/lib/python*/dist-packages/swish.py) || fail "no Python module installed"
[ ! -e "$prefix/include/swish/gbdt/grow.h" ] && [ -z "$(find "$prefix/include" -name '*_impl.h')" ] ||
    fail "internal headers installed"

# Exports: the public sw_ names only, all under one version node; the soname.
bad=$(nm -D --defined-only "$prefix/lib/$so" | awk '$2 != "A" && $3 !~ /^sw_[a-z0-9][a-z0-9_]*@@SWISH_/' | head -5)
[ -z "$bad" ] || fail "libswish.so exports more than the public API: $bad"
n_exp=$(nm -D --defined-only "$prefix/lib/$so" | grep -c ' T sw_')
soname=$(objdump -p "$prefix/lib/$so" | awk '$1 == "SONAME" {print $2}')
[ -e "$prefix/lib/$soname" ] || fail "soname $soname not installed"
say "libswish: $so (soname $soname), $n_exp exported functions, all sw_ and versioned"

# The man page: one section per command, rendered without warnings.
for c in predict train slate nightly serve models; do
    grep -q "^\.SS swish $c\$" "$prefix/share/man/man1/swish.1" || fail "man page lacks 'swish $c'"
done
if command -v groff >/dev/null 2>&1; then
    w=$(groff -man -Tutf8 -ww -z "$prefix/share/man/man1/swish.1" 2>&1) || fail "man page: $w"
    [ -z "$w" ] || fail "man page: $w"
fi

# A C program through pkg-config: the umbrella header compiles warning-free as
# C11 and C++, links shared and static.
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cflags=$(pkg-config --cflags swish)
cc -std=c11 -Wall -Wextra -Werror -pedantic $cflags tests/install/demo.c $(pkg-config --libs swish) \
    -Wl,-rpath,"$prefix/lib" -o "$tmp/demo" || fail "demo.c does not build against the installed library"
cc -std=c11 -Wall -Wextra -Werror $cflags tests/install/demo.c "$prefix/lib/libswish.a" \
    $(pkg-config --static --libs swish | sed 's/-lswish//') -o "$tmp/demo_static" || fail "static link failed"
if command -v c++ >/dev/null 2>&1; then
    printf '#include <swish.h>\nint main() { return sw_version()[0] == 0; }\n' > "$tmp/cxx.cc"
    c++ -Wall -Wextra -Werror $cflags "$tmp/cxx.cc" $(pkg-config --libs swish) -o "$tmp/cxx" ||
        fail "swish.h does not compile as C++"
fi
ldd "$tmp/demo" | grep -q "$prefix/lib/$soname" || fail "demo is not linked to the installed libswish.so"

# The Python module, from the installed place, finding the installed library.
DEMO="$tmp/demo" DEMO_STATIC="$tmp/demo_static" SWISH_BIN="$prefix/bin/swish" \
    PYTHONPATH="$(dirname "$pymod")" "$PY" tests/install/test_python.py || fail "Python module tests failed"

# DESTDIR stages the same tree for a package, paths inside naming the final prefix.
make --no-print-directory -s install BUILD="$BUILD" DESTDIR="$tmp/stage" PREFIX=/usr >/dev/null
[ -e "$tmp/stage/usr/bin/swish" ] && [ -e "$tmp/stage/usr/lib/pkgconfig/swish.pc" ] ||
    fail "DESTDIR install incomplete"
grep -q '^prefix=/usr$' "$tmp/stage/usr/lib/pkgconfig/swish.pc" || fail "swish.pc names the stage, not the prefix"
grep -q '^_INSTALLED_LIB = "/usr/lib/' "$tmp/stage/usr/lib/python3/dist-packages/swish.py" ||
    fail "the staged Python module does not name /usr/lib"
[ -z "$(grep -rlF "$tmp/stage" "$tmp/stage" || true)" ] || fail "staged files mention the stage directory"

make --no-print-directory -s uninstall BUILD="$BUILD" PREFIX="$prefix" >/dev/null
left=$(find "$prefix" -type f -o -type l)
[ -z "$left" ] || fail "make uninstall left: $left"
say "install, pkg-config (shared, static, C++), Python module, DESTDIR and uninstall: ok"
