#!/usr/bin/env bash
# report-screenshots.sh renders the HTML report of a TREC run (6 classes)
# and of a 20 Newsgroups run (20 classes) in headless Chromium and writes
# full-page screenshots, to look at before changing how the report reads.
# It is a development tool, not part of lstmctl.
#
#   scripts/report-screenshots.sh [OUT_DIR]      # default: report-screenshots/
#
# It needs the shared data sets (LSTMCTL_SHARED_DATA, or shared/data beside
# the repository) and Chromium (Debian: apt-get install -y chromium). 20
# Newsgroups has only its training half shared: every 7th document of each
# newsgroup is held out as the test set. TREC trains with the defaults;
# 20 Newsgroups with sequence length 200 for 4 epochs, to stay within a few
# minutes on two cores. REPORT_HEIGHT sets the window height (the
# screenshot's, in pixels; default 9000).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-report-screenshots}
data=${LSTMCTL_SHARED_DATA:-$root/../shared/data}
height=${REPORT_HEIGHT:-9000}
chromium=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $chromium ]]; then
	echo "report-screenshots: no chromium (Debian: apt-get install -y chromium)" >&2
	exit 2
fi
for f in "$data/trec/train.txt" "$data/20news-bydate-train"; do
	if [[ ! -e $f ]]; then
		echo "report-screenshots: $f is missing (set LSTMCTL_SHARED_DATA)" >&2
		exit 2
	fi
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$root" && go build -o "$work/lstmctl" ./cmd/lstmctl)
lstmctl=$work/lstmctl

shot() { # shot HTML PNG
	local profile
	profile=$(mktemp -d -p "$work")
	"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$profile" --hide-scrollbars --screenshot="$2" \
		--window-size="1280,$height" "file://$1" 2>/dev/null >/dev/null
	echo "wrote $2"
}

# TREC: 6 classes, defaults.
"$lstmctl" train --train "$data/trec/train.txt" --test "$data/trec/test.txt" \
	--model "$work/trec.safetensors" --history "$work/trec-history.csv" \
	--report "$out/trec.html" --plots "$out/trec-plots" --quiet >/dev/null
shot "$out/trec.html" "$out/trec.png"

# 20 Newsgroups: 20 classes; every 7th document of a newsgroup is the test set.
for dir in "$data/20news-bydate-train"/*/; do
	class=$(basename "$dir")
	mkdir -p "$work/20ng/train/$class" "$work/20ng/test/$class"
	i=0
	for f in "$dir"*; do
		if ((i % 7 == 0)); then
			cp "$f" "$work/20ng/test/$class/"
		else
			cp "$f" "$work/20ng/train/$class/"
		fi
		i=$((i + 1))
	done
done
"$lstmctl" train --train "$work/20ng/train" --test "$work/20ng/test" \
	--sequence-length 200 --epochs 4 \
	--model "$work/20ng.safetensors" --history "$work/20ng-history.csv" \
	--report "$out/20ng.html" --plots "$out/20ng-plots" --quiet >/dev/null
shot "$out/20ng.html" "$out/20ng.png"

# The curves of a history file alone.
"$lstmctl" report --history "$work/20ng-history.csv" -o "$out/20ng-history.html"
shot "$out/20ng-history.html" "$out/20ng-history.png"
