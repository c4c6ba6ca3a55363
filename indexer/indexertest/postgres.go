package indexertest

import (
	"bufio"
	"crypto/hmac"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// This file holds the PostgreSQL helpers for integration tests (STYLE.md
// §10). It speaks just enough of the PostgreSQL wire protocol (start-up,
// password/MD5/SCRAM authentication, simple query) to create and drop a
// schema, because indexertest may import only handbook and the standard
// library: each driver belongs to the one package that wraps it.

const pgvectorSetup = "start the PGlite server and set HANDBOOK_TEST_PGVECTOR_URL: " +
	"npm install --no-save @electric-sql/pglite@0.5.14 @electric-sql/pglite-socket@0.2.17 @electric-sql/pglite-pgvector@0.0.15 && " +
	"node node_modules/@electric-sql/pglite-socket/dist/scripts/server.js -p 54329 -e @electric-sql/pglite-pgvector:vector -m 4 & " +
	"export HANDBOOK_TEST_PGVECTOR_URL='postgres://postgres:postgres@127.0.0.1:54329/postgres?sslmode=disable' (see .ci/run)"

// PGVector returns the DSN of a PostgreSQL database with the vector
// extension, for this test only: a fresh schema t_<random> named first in
// the DSN's search_path and dropped at cleanup. The server comes from
// HANDBOOK_TEST_PGVECTOR_URL (the PGlite socket server in CI). Without it, or
// without the extension, the test is skipped, unless CI=true or
// HANDBOOK_TEST_REQUIRE names "pgvector", which makes it fail. With -short
// it always skips.
//
// Servers that ignore a search_path sent at start-up (PGlite) share one
// session between connections; code under test must qualify its tables with
// the DSN's first schema (indexer/pgvector does) instead of relying on it.
func PGVector(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test skipped in -short mode")
	}
	dsn := os.Getenv("HANDBOOK_TEST_PGVECTOR_URL")
	if dsn == "" {
		skipOrFail(t, "pgvector", "HANDBOOK_TEST_PGVECTOR_URL is not set; "+pgvectorSetup)
	}
	c, err := pgDial(dsn)
	if err != nil {
		t.Fatalf("connect to HANDBOOK_TEST_PGVECTOR_URL: %v", err)
	}
	defer c.close()
	if _, err := c.query("CREATE EXTENSION IF NOT EXISTS vector"); err != nil {
		var pe *pgError
		if errors.As(err, &pe) && (pe.code == "58P01" || pe.code == "0A000" || pe.code == "42704") {
			skipOrFail(t, "pgvector", "the server at HANDBOOK_TEST_PGVECTOR_URL has no vector extension ("+err.Error()+"); "+pgvectorSetup)
		}
		t.Fatalf("create extension vector: %v", err)
	}
	rows, err := c.query("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vector'")
	if err != nil || len(rows) != 1 {
		t.Fatalf("find the schema of extension vector: %v", err)
	}
	schema := freshSchema(t, c, dsn)
	return withSearchPath(t, dsn, quoteIdent(schema)+","+quoteIdent(rows[0][0]))
}

// Postgres returns the DSN of a plain PostgreSQL database for this test
// only: a fresh schema t_<random> named in the DSN's search_path and dropped
// at cleanup. The server is HANDBOOK_TEST_DATABASE_URL if set; otherwise a
// throwaway cluster started with initdb/pg_ctl (from PATH or
// /usr/lib/postgresql/*/bin) in t.TempDir() on 127.0.0.1 and stopped at
// cleanup; as root they run as the postgres user through runuser. When
// neither is available the test is skipped, unless CI=true or
// HANDBOOK_TEST_REQUIRE names "postgres", which makes it fail. With -short it
// always skips. Starting a cluster takes a few seconds (5–10 s on the
// shared 2-core machine).
func Postgres(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test skipped in -short mode")
	}
	dsn := os.Getenv("HANDBOOK_TEST_DATABASE_URL")
	if dsn == "" {
		dsn = startCluster(t)
	}
	c, err := pgDial(dsn)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer c.close()
	schema := freshSchema(t, c, dsn)
	return withSearchPath(t, dsn, quoteIdent(schema))
}

// required reports whether a missing name must fail the test (STYLE.md §10).
func required(name string) bool {
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

func skipOrFail(t testing.TB, name, msg string) {
	t.Helper()
	if required(name) {
		t.Fatalf("%s is required here (CI=true or HANDBOOK_TEST_REQUIRE): %s", name, msg)
	}
	t.Skip(msg)
}

// freshSchema creates schema t_<random> and drops it at cleanup.
func freshSchema(t testing.TB, c *pgConn, dsn string) string {
	t.Helper()
	schema := "t_" + randomHex(6)
	if _, err := c.query("CREATE SCHEMA " + quoteIdent(schema)); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		c, err := pgDial(dsn)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.close()
		if _, err := c.query("DROP SCHEMA " + quoteIdent(schema) + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

func withSearchPath(t testing.TB, dsn, searchPath string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse database url: %v", err)
	}
	q := u.Query()
	q.Set("search_path", searchPath)
	u.RawQuery = q.Encode()
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// startCluster runs initdb and pg_ctl in t.TempDir() and returns the DSN of
// the new cluster's postgres database. As root it runs them as the postgres
// user, because initdb refuses to run as root.
func startCluster(t testing.TB) string {
	t.Helper()
	bin := findPostgresBin()
	if bin == "" {
		skipOrFail(t, "postgres", "HANDBOOK_TEST_DATABASE_URL is not set and initdb/pg_ctl were not found in PATH or /usr/lib/postgresql/*/bin; "+
			"install PostgreSQL (apt-get install postgresql) or set HANDBOOK_TEST_DATABASE_URL")
	}
	dir := t.TempDir()
	run := func(name string, args ...string) *exec.Cmd {
		return exec.Command(filepath.Join(bin, name), args...)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, initdb needs an unprivileged user: %v (create the postgres user or run the tests as another user)", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		// t.TempDir's parent is private to root; postgres must reach dir.
		if err := os.Chmod(filepath.Dir(dir), 0o711); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		runuser, err := exec.LookPath("runuser")
		for _, p := range []string{"/usr/sbin/runuser", "/sbin/runuser"} {
			if err == nil {
				break
			}
			if _, serr := os.Stat(p); serr == nil {
				runuser, err = p, nil
			}
		}
		if err != nil {
			t.Fatalf("running as root needs runuser (util-linux) to start PostgreSQL as postgres: %v", err)
		}
		run = func(name string, args ...string) *exec.Cmd {
			return exec.Command(runuser, append([]string{"-u", "postgres", "--", filepath.Join(bin, name)}, args...)...)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	port := freePort(t)
	opts := "-c listen_addresses=127.0.0.1 -p " + strconv.Itoa(port) +
		" -c unix_socket_directories='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	logFile := filepath.Join(dir, "postgres.log")
	if out, err := run("pg_ctl", "-D", data, "-l", logFile, "-o", opts, "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(logFile)
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	t.Cleanup(func() {
		if out, err := run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop").CombinedOutput(); err != nil {
			t.Errorf("pg_ctl stop: %v\n%s", err, out)
		}
	})
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
}

// findPostgresBin returns the directory holding initdb and pg_ctl: PATH
// first, then the newest /usr/lib/postgresql/<version>/bin (Debian).
func findPostgresBin() string {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p)
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	return ""
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// pgConn is a minimal PostgreSQL client: enough for DDL in test set-up.
type pgConn struct {
	conn net.Conn
	r    *bufio.Reader
}

type pgError struct{ severity, code, message string }

func (e *pgError) Error() string { return e.severity + ": " + e.message + " (SQLSTATE " + e.code + ")" }

// pgDial connects to a postgres:// URL. sslmode disable uses plain TCP;
// require (and prefer, the default) use TLS when the server offers it,
// without verifying the certificate, which is enough for test servers.
func pgDial(dsn string) (*pgConn, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return nil, fmt.Errorf("database url must be postgres://user:password@host:port/db, not %s://…", u.Scheme)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "5432"
	}
	userName := u.User.Username()
	if userName == "" {
		userName = "postgres"
	}
	password, _ := u.User.Password()
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" {
		db = userName
	}
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, port), 10*time.Second)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	c := &pgConn{conn: conn, r: bufio.NewReader(conn)}
	if mode := u.Query().Get("sslmode"); mode != "disable" && mode != "allow" {
		if err := c.startTLS(host, mode); err != nil {
			conn.Close()
			return nil, err
		}
	}
	if err := c.startup(userName, password, db); err != nil {
		c.conn.Close()
		return nil, err
	}
	return c, nil
}

func (c *pgConn) startTLS(host, mode string) error {
	req := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 8), 80877103)
	if _, err := c.conn.Write(req); err != nil {
		return err
	}
	b, err := c.r.ReadByte()
	if err != nil {
		return err
	}
	if b != 'S' {
		if mode == "require" || strings.HasPrefix(mode, "verify") {
			return errors.New("server does not support TLS but sslmode=" + mode)
		}
		return nil
	}
	tc := tls.Client(c.conn, &tls.Config{ServerName: host, InsecureSkipVerify: !strings.HasPrefix(mode, "verify")})
	if err := tc.Handshake(); err != nil {
		return err
	}
	c.conn, c.r = tc, bufio.NewReader(tc)
	return nil
}

func (c *pgConn) send(typ byte, body []byte) error {
	msg := make([]byte, 0, 5+len(body))
	if typ != 0 {
		msg = append(msg, typ)
	}
	msg = binary.BigEndian.AppendUint32(msg, uint32(4+len(body)))
	_, err := c.conn.Write(append(msg, body...))
	return err
}

func (c *pgConn) receive() (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := int(binary.BigEndian.Uint32(hdr[1:])) - 4
	if n < 0 || n > 1<<26 {
		return 0, nil, fmt.Errorf("bad message length %d", n)
	}
	body := make([]byte, n)
	_, err := io.ReadFull(c.r, body)
	return hdr[0], body, err
}

func cstr(s string) []byte { return append([]byte(s), 0) }

func parseError(body []byte) *pgError {
	e := &pgError{}
	for len(body) > 1 {
		field := body[0]
		end := 1
		for end < len(body) && body[end] != 0 {
			end++
		}
		v := string(body[1:end])
		switch field {
		case 'S':
			e.severity = v
		case 'C':
			e.code = v
		case 'M':
			e.message = v
		}
		body = body[min(end+1, len(body)):]
	}
	return e
}

func (c *pgConn) startup(userName, password, db string) error {
	var body []byte
	body = binary.BigEndian.AppendUint32(body, 196608) // protocol 3.0
	for _, kv := range [][2]string{{"user", userName}, {"database", db}, {"client_encoding", "UTF8"}} {
		body = append(append(body, cstr(kv[0])...), cstr(kv[1])...)
	}
	if err := c.send(0, append(body, 0)); err != nil {
		return err
	}
	var scram *scramState
	for {
		typ, msg, err := c.receive()
		if err != nil {
			return err
		}
		switch typ {
		case 'E':
			return parseError(msg)
		case 'Z':
			return nil
		case 'R':
			if len(msg) < 4 {
				return errors.New("short authentication message")
			}
			switch kind := binary.BigEndian.Uint32(msg); kind {
			case 0: // ok
			case 3: // cleartext password
				err = c.send('p', cstr(password))
			case 5: // md5
				inner := md5.Sum([]byte(password + userName))
				outer := md5.Sum(append([]byte(hex.EncodeToString(inner[:])), msg[4:8]...))
				err = c.send('p', cstr("md5"+hex.EncodeToString(outer[:])))
			case 10: // SASL
				if !strings.Contains(string(msg[4:]), "SCRAM-SHA-256\x00") {
					return errors.New("server offers no SCRAM-SHA-256")
				}
				scram = &scramState{password: password, nonce: base64.RawStdEncoding.EncodeToString([]byte(randomHex(18)))}
				first := scram.clientFirst()
				out := append(cstr("SCRAM-SHA-256"), binary.BigEndian.AppendUint32(nil, uint32(len(first)))...)
				err = c.send('p', append(out, first...))
			case 11: // SASL continue
				var final string
				if scram == nil {
					return errors.New("unexpected SASL continue")
				}
				if final, err = scram.clientFinal(string(msg[4:])); err == nil {
					err = c.send('p', []byte(final))
				}
			case 12: // SASL final
				if scram == nil || !scram.verify(string(msg[4:])) {
					return errors.New("SCRAM server signature does not verify")
				}
			default:
				return fmt.Errorf("unsupported authentication method %d", kind)
			}
			if err != nil {
				return err
			}
		}
	}
}

// query runs sql with the simple query protocol and returns the text of
// every data row (NULL as "").
func (c *pgConn) query(sql string) ([][]string, error) {
	if err := c.send('Q', cstr(sql)); err != nil {
		return nil, err
	}
	var rows [][]string
	var qerr error
	for {
		typ, msg, err := c.receive()
		if err != nil {
			return nil, err
		}
		switch typ {
		case 'E':
			qerr = parseError(msg)
		case 'D':
			n := int(binary.BigEndian.Uint16(msg))
			msg = msg[2:]
			row := make([]string, n)
			for i := range n {
				l := int32(binary.BigEndian.Uint32(msg))
				msg = msg[4:]
				if l >= 0 {
					row[i], msg = string(msg[:l]), msg[l:]
				}
			}
			rows = append(rows, row)
		case 'Z':
			return rows, qerr
		}
	}
}

func (c *pgConn) close() {
	c.send('X', nil)
	c.conn.Close()
}

// scramState is the client side of SCRAM-SHA-256 (RFC 5802, RFC 7677)
// without channel binding.
type scramState struct {
	password, nonce      string
	clientFirstBare      string
	authMessage          string
	saltedPassword       []byte
	serverFirstFullNonce string
}

func (s *scramState) clientFirst() string {
	s.clientFirstBare = "n=,r=" + s.nonce
	return "n,," + s.clientFirstBare
}

func (s *scramState) clientFinal(serverFirst string) (string, error) {
	var salt []byte
	iter := 0
	for _, part := range strings.Split(serverFirst, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "r":
			s.serverFirstFullNonce = v
		case "s":
			salt, _ = base64.StdEncoding.DecodeString(v)
		case "i":
			iter, _ = strconv.Atoi(v)
		}
	}
	if !strings.HasPrefix(s.serverFirstFullNonce, s.nonce) || len(salt) == 0 || iter <= 0 {
		return "", errors.New("bad SCRAM server-first message")
	}
	var err error
	if s.saltedPassword, err = pbkdf2.Key(sha256.New, s.password, salt, iter, 32); err != nil {
		return "", err
	}
	withoutProof := "c=biws,r=" + s.serverFirstFullNonce
	s.authMessage = s.clientFirstBare + "," + serverFirst + "," + withoutProof
	clientKey := hmacSHA256(s.saltedPassword, "Client Key")
	stored := sha256.Sum256(clientKey)
	sig := hmacSHA256(stored[:], s.authMessage)
	proof := make([]byte, len(clientKey))
	for i := range clientKey {
		proof[i] = clientKey[i] ^ sig[i]
	}
	return withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof), nil
}

func (s *scramState) verify(serverFinal string) bool {
	v, ok := strings.CutPrefix(serverFinal, "v=")
	if !ok {
		return false
	}
	got, err := base64.StdEncoding.DecodeString(v)
	want := hmacSHA256(hmacSHA256(s.saltedPassword, "Server Key"), s.authMessage)
	return err == nil && hmac.Equal(got, want)
}

func hmacSHA256(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}
