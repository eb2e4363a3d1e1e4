#!/usr/bin/env python3
"""Writes a small, valid OCI image layout for push tests: one gzip layer
holding a file of SIZE pseudo-random bytes (seeded, so the same arguments
give the same digests), a config and a manifest tagged TAG. Optionally a
referrer artifact whose subject is the image (--referrer).

usage: make_layout.py DIR TAG SIZE [--seed N] [--referrer]
"""
import gzip, hashlib, io, json, os, random, sys, tarfile


def put_blob(root, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(root, "blobs", "sha256", digest)
    with open(path, "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    root, tag, size = args[0], args[1], int(args[2])
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 1
    if "--seed" in sys.argv:
        args.remove(str(seed))
    os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
    rng = random.Random(seed)
    payload = rng.randbytes(size)

    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("data/payload.bin")
        info.size, info.mode, info.mtime = len(payload), 0o644, 0
        tar.addfile(info, io.BytesIO(payload))
    raw = tar_bytes.getvalue()
    layer = gzip.compress(raw, compresslevel=1, mtime=0)
    layer_desc = put_blob(root, layer)
    config = {
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": ["/data/payload.bin"], "Labels": {"seed": str(seed)}},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]},
    }
    config_desc = put_blob(root, json.dumps(config, sort_keys=True, separators=(",", ":")).encode())
    manifest = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": dict(mediaType="application/vnd.oci.image.config.v1+json", **config_desc),
        "layers": [dict(mediaType="application/vnd.oci.image.layer.v1.tar+gzip", **layer_desc)],
    }
    manifest_desc = put_blob(root, json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode())
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
        dict(mediaType=manifest["mediaType"], annotations={"org.opencontainers.image.ref.name": tag}, **manifest_desc)]}
    if "--referrer" in sys.argv:
        sbom = put_blob(root, json.dumps({"spdxVersion": "SPDX-2.3", "name": "test"}).encode())
        empty = put_blob(root, b"{}")
        art = {
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": "application/spdx+json",
            "config": dict(mediaType="application/vnd.oci.empty.v1+json", **empty),
            "layers": [dict(mediaType="application/spdx+json", **sbom)],
            "subject": dict(mediaType=manifest["mediaType"], **manifest_desc),
        }
        art_desc = put_blob(root, json.dumps(art, sort_keys=True, separators=(",", ":")).encode())
        index["manifests"].append(dict(mediaType=art["mediaType"], artifactType=art["artifactType"], **art_desc))
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(root, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    print(manifest_desc["digest"])


if __name__ == "__main__":
    main()
