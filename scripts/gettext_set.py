"""Builds a topic-classification set in a language written without spaces
from the gettext catalogs Debian packages install: the text is a
translated message, the label the package it belongs to (coreutils,
postgres, gtk, ...). Messages shorter than 4 characters and texts that
two packages share are left out; at most 1500 per package, every fifth
(by the SHA-256 of the text) held out as the test set.

Usage: /usr/bin/python3 scripts/gettext_set.py LANG OUTDIR PKG,PKG,...
  e.g. zh_CN out/zh coreutils,postgres-15,gtk20,xkeyboard-config,glib20,\\
       gettext-tools,systemd,apt,iso_639-3,iso_3166-2
writes OUTDIR/train.txt and OUTDIR/test.txt as fastText lines.
"""
import collections
import gettext
import hashlib
import os
import sys

CAP = 1500


def main():
    lang, out, pkgs = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    owner = {}  # text -> package, None when two packages share it
    rows = []
    for p in pkgs:
        with open(f"/usr/share/locale/{lang}/LC_MESSAGES/{p}.mo", "rb") as f:
            catalog = gettext.GNUTranslations(f)._catalog
        n = 0
        for k, v in sorted(catalog.items(), key=lambda kv: str(kv[0])):
            if not k or not v:
                continue
            t = " ".join(v.split())
            if len(t) < 4 or t in owner:
                owner[t] = None
                continue
            owner[t] = p
            rows.append((p, t))
            n += 1
        print(p, n, file=sys.stderr)
    by = collections.defaultdict(list)
    for p, t in rows:
        if owner[t] is not None:
            by[p].append(t)
    os.makedirs(out, exist_ok=True)
    with open(f"{out}/train.txt", "w") as tr, open(f"{out}/test.txt", "w") as te:
        for p in pkgs:
            texts = sorted(by[p], key=lambda t: hashlib.sha256(t.encode()).hexdigest())[:CAP]
            for i, t in enumerate(texts):
                (te if i % 5 == 0 else tr).write(f"__label__{p.replace('-', '_')} {t}\n")


main()
