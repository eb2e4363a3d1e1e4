#!/usr/bin/env python3
"""Writes a small, valid OCI image layout for push tests: one gzip layer
holding a file of SIZE pseudo-random bytes (seeded, so the same arguments
give the same digests), a config and a manifest tagged TAG, and prints the
manifest digest. Optionally a referrer artifact whose subject is the image
(--referrer), listed in index.json as oras and slimbuild before issue 13
wrote it (slimbuild now stores referrers unlisted; push reads both). With --multiarch, TAG names an image index holding this image
as linux/amd64 and a second one (another seed) as linux/arm64; the amd64
manifest digest is printed.

usage: make_layout.py DIR TAG SIZE [--seed N] [--referrer] [--multiarch]
"""
import argparse, gzip, hashlib, io, json, os, random, tarfile

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"


def canonical(doc):
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def put_blob(root, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(root, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def write_image(root, size, seed, arch):
    """Writes one single-layer image's blobs; returns its manifest descriptor."""
    payload = random.Random(seed).randbytes(size)
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("data/payload.bin")
        info.size, info.mode, info.mtime = len(payload), 0o644, 0
        tar.addfile(info, io.BytesIO(payload))
    raw = tar_bytes.getvalue()
    layer_desc = put_blob(root, gzip.compress(raw, compresslevel=1, mtime=0))
    config = {
        "architecture": arch, "os": "linux",
        "config": {"Entrypoint": ["/data/payload.bin"], "Labels": {"seed": str(seed)}},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]},
    }
    config_desc = put_blob(root, canonical(config))
    manifest = {
        "schemaVersion": 2, "mediaType": MANIFEST,
        "config": dict(mediaType="application/vnd.oci.image.config.v1+json", **config_desc),
        "layers": [dict(mediaType="application/vnd.oci.image.layer.v1.tar+gzip", **layer_desc)],
    }
    return dict(mediaType=MANIFEST, **put_blob(root, canonical(manifest)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir"), p.add_argument("tag"), p.add_argument("size", type=int)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--referrer", action="store_true")
    p.add_argument("--multiarch", action="store_true")
    a = p.parse_args()
    os.makedirs(os.path.join(a.dir, "blobs", "sha256"), exist_ok=True)

    image = write_image(a.dir, a.size, a.seed, "amd64")
    top = dict(image)
    if a.multiarch:
        arm = write_image(a.dir, a.size, a.seed + 1000, "arm64")
        nested = {"schemaVersion": 2, "mediaType": INDEX, "manifests": [
            dict(platform={"os": "linux", "architecture": "arm64"}, **arm),
            dict(platform={"os": "linux", "architecture": "amd64"}, **image)]}
        top = dict(mediaType=INDEX, **put_blob(a.dir, canonical(nested)))
    top["annotations"] = {"org.opencontainers.image.ref.name": a.tag}
    index = {"schemaVersion": 2, "mediaType": INDEX, "manifests": [top]}

    if a.referrer:
        empty = put_blob(a.dir, b"{}")
        sbom = put_blob(a.dir, json.dumps({"spdxVersion": "SPDX-2.3", "name": "test"}).encode())
        art = {
            "schemaVersion": 2, "mediaType": MANIFEST, "artifactType": "application/spdx+json",
            "config": dict(mediaType="application/vnd.oci.empty.v1+json", **empty),
            "layers": [dict(mediaType="application/spdx+json", **sbom)],
            "subject": image,
        }
        index["manifests"].append(dict(mediaType=MANIFEST, artifactType=art["artifactType"],
                                       **put_blob(a.dir, canonical(art))))
    with open(os.path.join(a.dir, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(a.dir, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    print(image["digest"])


if __name__ == "__main__":
    main()
