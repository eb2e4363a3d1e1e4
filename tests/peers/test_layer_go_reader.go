// Reads a gzip'd tar with Go's compress/gzip and archive/tar, the readers
// containerd, docker, BuildKit, crane and the registries use, and prints one
// JSON object per line: first the gzip header, then every tar entry.
// Used by test_layer_peers.cpp; stdlib only, runs offline.
package main

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
)

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		fail(err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		fail(err)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.Encode(map[string]any{"gzip_name": zr.Name, "gzip_comment": zr.Comment, "gzip_mtime": zr.ModTime.Unix(),
		"gzip_mtime_zero": zr.ModTime.IsZero(), "gzip_os": zr.OS, "gzip_extra": len(zr.Extra)})
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fail(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			fail(err)
		}
		pax := []string{}
		for k := range h.PAXRecords {
			pax = append(pax, k)
		}
		sort.Strings(pax)
		enc.Encode(map[string]any{"name": h.Name, "type": string(h.Typeflag), "mode": h.Mode, "uid": h.Uid,
			"gid": h.Gid, "uname": h.Uname, "gname": h.Gname, "mtime": h.ModTime.Unix(),
			"atime_zero": h.AccessTime.IsZero(), "ctime_zero": h.ChangeTime.IsZero(), "linkname": h.Linkname,
			"size": h.Size, "data_len": len(data), "format": h.Format.String(), "pax": pax})
	}
	// Nothing may follow the tar inside the gzip stream, and the gzip
	// trailer (CRC-32, length) must check out.
	if rest, err := io.ReadAll(zr); err != nil || len(rest) != 0 {
		fail(fmt.Errorf("trailing data or bad gzip trailer: %v (%d bytes)", err, len(rest)))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
