// Command handbook runs Sổ tay Nghiệp vụ & Công nghệ: the web server, the
// indexer, search, lint and evaluation, all from one binary.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `Sổ tay Nghiệp vụ & Công nghệ

Cách dùng: handbook <lệnh> [tùy chọn]

Lệnh:
  serve    chạy máy chủ web và API (mặc định http://127.0.0.1:8080)
  index    xây dựng hoặc cập nhật chỉ mục tìm kiếm
  search   tìm kiếm từ dòng lệnh (--json để lấy JSON)
  ask      hỏi đáp: "handbook ask 'làm giấy khai sinh cần gì'" (--form full, --mode, --json)
  draft    soạn văn bản theo Nghị định 30/2020: draft -template quyet-dinh -set … -out vb.docx; draft -check vb.docx
  lint     kiểm tra nội dung (path:line: error|warning: message)
  eval     đo chất lượng tìm kiếm trên bộ câu hỏi mẫu (eval/*.jsonl)
  config   in cấu hình đang dùng (che giá trị bí mật)
  healthcheck  kiểm tra máy chủ đang chạy (dùng cho docker compose)
  export   đóng gói nội dung và chỉ mục thành một tệp: export -bundle kb.tar.gz [-include-internal]
  import   nhập gói vào máy khác: import -content DIR [-data DIR] kb.tar.gz
  user     tài khoản và mã API: user add|passwd|token|disable|enable|list

Chạy "handbook <lệnh> -h" để xem tùy chọn.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	var exit exitError
	switch {
	case errors.As(err, &exit):
		os.Exit(int(exit))
	case err != nil:
		fmt.Fprintln(os.Stderr, "handbook:", err)
		os.Exit(1)
	}
}

// exitError ends the program with a status code and no further message.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// Main runs one subcommand; tests call it in-process.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cmd, rest := args[0], args[1:]
	run, ok := commands[cmd]
	if !ok {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
	return run(ctx, rest, getenv, stdout, stderr)
}

type command func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error

var commands map[string]command

func init() {
	commands = map[string]command{
		"serve":       cmdServe,
		"index":       cmdIndex,
		"search":      cmdSearch,
		"ask":         cmdAsk,
		"lint":        cmdLint,
		"eval":        cmdEval,
		"config":      cmdConfig,
		"healthcheck": cmdHealthcheck,
		"export":      cmdExport, // bundle.go
		"import":      cmdImport, // bundle.go
		"bench":       cmdBench,  // bench.go
		"draft":       cmdDraft,  // draft.go
		"user":        cmdUser,   // user.go
	}
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func cmdConfig(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := LoadConfig("config", args, getenv, stderr)
	if err != nil {
		return err
	}
	cfg.Dump(stdout)
	return nil
}
