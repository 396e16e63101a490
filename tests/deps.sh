#!/usr/bin/env bash
# Make sure the Debian packages that building, the tests and the demo need are
# there. As root, installs what is missing; otherwise prints the one command that would.
set -u
need=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

have_cmd gcc        || need+=(gcc)
have_cmd make       || need+=(make)
have_cmd pkg-config || need+=(pkg-config)
have_pkg check      || need+=(check)
have_pkg libsubunit-dev || need+=(libsubunit-dev)
have_cmd tcpdump    || need+=(tcpdump)
have_cmd ip         || need+=(iproute2)
have_cmd ss         || need+=(iproute2)
have_cmd ping       || need+=(iputils-ping)
have_cmd python3    || need+=(python3)
have_cmd nc         || need+=(netcat-openbsd)
have_cmd nft        || need+=(nftables)
have_cmd tshark     || need+=(tshark)
have_cmd curl       || need+=(curl)
have_cmd gnuplot    || need+=(gnuplot-nox)
have_cmd unshare    || need+=(util-linux)
have_cmd clang      || need+=(clang)
have_cmd socat      || need+=(socat)
have_cmd php        || need+=(php-cli)

[ ${#need[@]} -eq 0 ] && exit 0
mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
if [ "$(id -u)" -eq 0 ] && have_cmd apt-get; then
	echo "installing: ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get install -y -q "${need[@]}" || { apt-get update -q && apt-get install -y -q "${need[@]}"; }; } >/tmp/tuntcp-apt.log 2>&1 ||
		{ echo "apt-get failed; see /tmp/tuntcp-apt.log"; tail -n 5 /tmp/tuntcp-apt.log; exit 1; }
else
	echo "missing packages; install them with:"
	echo "  sudo apt-get install -y ${need[*]}"
	# Building and the unit tests need only gcc, make and check: go on if those are here.
	have_pkg check && have_cmd gcc && exit 0
	exit 1
fi
