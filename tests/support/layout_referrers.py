#!/usr/bin/env python3
"""The OCI 1.1 referrers of SUBJECT in an OCI layout, found without slimbuild:
every JSON blob of blobs/sha256 that is an image manifest whose subject is
SUBJECT, whether index.json lists it or not (slimbuild stores referrers as
unlisted blobs, as cosign does; older layouts and oras list them).
Prints "DIGEST ARTIFACT_TYPE FIRST_LAYER_DIGEST" per referrer, sorted by
digest; with ARTIFACT_TYPE only those of that type.

usage: layout_referrers.py LAYOUT SUBJECT [ARTIFACT_TYPE]
"""
import json
import os
import sys


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    layout, subject = sys.argv[1], sys.argv[2]
    want = sys.argv[3] if len(sys.argv) == 4 else None
    blobs = os.path.join(layout, "blobs", "sha256")
    found = []
    for name in sorted(os.listdir(blobs)):
        path = os.path.join(blobs, name)
        if os.path.islink(path) or not os.path.isfile(path) or os.path.getsize(path) > (4 << 20):
            continue
        try:
            with open(path, "rb") as f:
                doc = json.loads(f.read())
        except ValueError:
            continue  # a layer or other non-JSON content
        if not isinstance(doc, dict) or doc.get("mediaType") != "application/vnd.oci.image.manifest.v1+json":
            continue
        if not isinstance(doc.get("subject"), dict) or doc["subject"].get("digest") != subject:
            continue
        kind = doc.get("artifactType") or doc.get("config", {}).get("mediaType", "")
        if want is None or kind == want:
            found.append(f"sha256:{name} {kind} {doc['layers'][0]['digest'] if doc.get('layers') else '-'}")
    for line in found:
        print(line)


if __name__ == "__main__":
    main()
