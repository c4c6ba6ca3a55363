package handbooktest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Postgres returns the URL of a PostgreSQL server for tests: the one in
// HANDBOOK_TEST_DATABASE_URL if set, otherwise a throwaway cluster started
// on 127.0.0.1 with initdb and pg_ctl from PATH or /usr/lib/postgresql/*/bin
// and stopped when t ends. The URL names the "postgres" database of a
// superuser, so that callers can create a database per test.
//
// Without PostgreSQL the test is skipped with one message, unless CI=true or
// HANDBOOK_TEST_REQUIRE names "postgres", where it fails. With -short it is
// skipped. As root, the cluster runs as the "postgres" system user (initdb
// refuses to run as root) through runuser.
func Postgres(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("HANDBOOK_TEST_DATABASE_URL"); u != "" {
		return u
	}
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	initdb, pgctl := pgBinary("initdb"), pgBinary("pg_ctl")
	if initdb == "" || pgctl == "" {
		Missing(t, "postgres", "PostgreSQL not found: apt-get install postgresql, or set HANDBOOK_TEST_DATABASE_URL")
	}
	var wrap []string // runs the server binaries as another user when root
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postgres"); err != nil {
			t.Fatalf("running as root and there is no postgres user to run the test cluster as: %v", err)
		}
		runuser, err := exec.LookPath("runuser")
		if err != nil {
			t.Fatalf("running as root and runuser is missing: %v", err)
		}
		wrap = []string{runuser, "-u", "postgres", "--"}
	}
	// Not t.TempDir: its parent is 0700 and owned by root, so the postgres
	// user could not reach it.
	dir, err := os.MkdirTemp("", "handbook-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if wrap != nil {
		if out, err := exec.Command("chown", "postgres", dir).CombinedOutput(); err != nil {
			t.Fatalf("chown %s: %v\n%s", dir, err, out)
		}
	}
	run := func(args ...string) error {
		args = append(append([]string(nil), wrap...), args...)
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	data := filepath.Join(dir, "data")
	if err := run(initdb, "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off", port, dir)
	if err := run(pgctl, "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		t.Fatalf("%v\n%s", err, log)
	}
	t.Cleanup(func() {
		if err := run(pgctl, "-D", data, "-m", "immediate", "-w", "stop"); err != nil {
			t.Logf("stop test cluster: %v", err)
		}
	})
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
}

// pgBinary finds a PostgreSQL server program in PATH or in Debian's
// versioned directories (newest version first).
func pgBinary(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Missing skips t because a tool named name is not installed, with one
// message saying what to install. When CI=true or HANDBOOK_TEST_REQUIRE
// names it ("postgres,chromium"), the skip becomes a failure.
func Missing(t testing.TB, name, msg string) {
	t.Helper()
	if Required(name) {
		t.Fatalf("%s (required: CI=true or HANDBOOK_TEST_REQUIRE=%s)", msg, os.Getenv("HANDBOOK_TEST_REQUIRE"))
	}
	t.Skip(msg)
}

// Required reports whether a missing name must fail the test instead of
// skipping it.
func Required(name string) bool {
	if os.Getenv("CI") == "true" {
		return true
	}
	for _, n := range strings.Split(os.Getenv("HANDBOOK_TEST_REQUIRE"), ",") {
		if strings.TrimSpace(n) == name {
			return true
		}
	}
	return false
}
