#!/bin/sh
# manpage.sh BIN: swish(1) in roff, made from the binary's own help texts (swish --help
# and every command's --help), so the man page says what the commands say.
set -eu
bin=$1
esc() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }
version=$("$bin" version | sed -n '1s/^swish //p')
cmds=$("$bin" --help | awk '/^commands:/{on=1; next} on && /^$/{exit} on && NF{print $1}')
printf '.TH SWISH 1 "" "swish %s" "User Commands"\n' "$version"
printf '.SH NAME\nswish \\- NBA player-points prediction engine\n'
printf '.SH SYNOPSIS\n.B swish\n.I COMMAND\n.RI [ options ]\n'
printf '.SH DESCRIPTION\n.nf\n'
"$bin" --help | esc
printf '.fi\n.SH COMMANDS\n'
for c in $cmds; do
    case $c in help|version) continue ;; esac
    printf '.SS swish %s\n.nf\n' "$c"
    "$bin" "$c" --help | esc
    printf '.fi\n'
done
printf '.SH SEE ALSO\nThe README.md, DESIGN.md and docs/ of the swish source tree.\n'
