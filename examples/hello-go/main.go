// hello-go: a static Go program (no libc, no loader) that checks the same
// promises as hello-cpp from Go's side: crypto/x509 finds the system CA pool
// (SSL_CERT_FILE or the Debian path), time.LoadLocation finds the zone in the
// image's zoneinfo, there is no shell, /tmp is writable, and it is not root.
// With -serve ADDR it also serves those facts over HTTP, the usual shape of a
// Go service. Exit codes: 0 ok, 2 root, 3 CA, 4 tz, 5 shell, 6 /tmp.
package main

import (
	"crypto/x509"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"
)

func fail(code int, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "hello-go: FAIL: "+format+"\n", args...)
	os.Exit(code)
}

func report() string {
	out := fmt.Sprintf("hello-go: uid=%d gid=%d\n", os.Getuid(), os.Getgid())
	if os.Getuid() == 0 || os.Getgid() == 0 {
		fail(2, "running as root (uid or gid 0)")
	}

	pool, err := x509.SystemCertPool()
	if err != nil {
		fail(3, "no system CA pool: %v", err)
	}
	//lint:ignore SA1019 Subjects is fine for counting a system pool.
	n := len(pool.Subjects())
	if n == 0 {
		fail(3, "the system CA pool is empty (SSL_CERT_FILE=%q)", os.Getenv("SSL_CERT_FILE"))
	}
	out += fmt.Sprintf("hello-go: system CA pool: %d certificates\n", n)

	zone := "Europe/Ljubljana"
	loc, err := time.LoadLocation(zone)
	if err != nil {
		fail(4, "time zone %s: %v", zone, err)
	}
	t := time.Unix(1700000000, 0).In(loc)
	out += fmt.Sprintf("hello-go: %s 1700000000 is %s\n", zone, t.Format("2006-01-02 15:04:05 MST (-0700)"))

	for _, sh := range []string{"/bin/sh", "/bin/bash", "/usr/bin/sh"} {
		if _, err := os.Lstat(sh); err == nil {
			fail(5, "%s exists: the image must not contain a shell", sh)
		}
	}
	out += "hello-go: no shell (/bin/sh absent)\n"

	f, err := os.CreateTemp("/tmp", "hello-go.")
	if err != nil {
		fail(6, "cannot create a file in /tmp: %v", err)
	}
	payload := fmt.Sprintf("written by hello-go pid %d", os.Getpid())
	_, werr := f.WriteString(payload)
	f.Close()
	back, rerr := os.ReadFile(f.Name())
	os.Remove(f.Name())
	if werr != nil || rerr != nil || string(back) != payload {
		fail(6, "/tmp file %s did not read back (write: %v, read: %v)", f.Name(), werr, rerr)
	}
	out += "hello-go: /tmp is writable\n"
	return out
}

func main() {
	serve := flag.String("serve", "", "after the checks, serve them over HTTP on this address (e.g. 127.0.0.1:8080)")
	flag.Parse()
	text := report()
	fmt.Print(text)
	fmt.Println("hello-go: all checks passed")
	if *serve == "" {
		return
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, text)
	})
	fmt.Fprintf(os.Stderr, "hello-go: serving on %s\n", *serve)
	if err := http.ListenAndServe(*serve, nil); err != nil {
		fail(1, "serve: %v", err)
	}
}
