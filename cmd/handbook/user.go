package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"sotay/api"
	"sotay/handbook"

	"golang.org/x/term"
)

const userUsage = `Cách dùng: handbook user <lệnh> [tùy chọn] <tên đăng nhập>

  add      tạo tài khoản: -role official|editor|admin, -name, -department
  passwd   đặt lại mật khẩu (đăng xuất tài khoản khỏi mọi nơi)
  token    tạo mã API cho tích hợp (-name); -list liệt kê, -revoke ID thu hồi
  disable  khóa tài khoản; enable mở lại
  list     liệt kê tài khoản

Mật khẩu đọc từ dòng đầu của -password-file (mặc định "-": đầu vào chuẩn).
Để trống thì chương trình tạo mật khẩu ngẫu nhiên và in ra một lần.
Cơ sở dữ liệu: HANDBOOK_DATABASE_URL (PostgreSQL) hoặc <data>/handbook.db.
`

// cmdUser manages accounts and API tokens: handbook user add|passwd|token|
// disable|enable|list.
func cmdUser(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "help" {
		fmt.Fprint(stdout, userUsage)
		return nil
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	role := fs.String("role", "official", "official, editor or admin")
	name := fs.String("name", "", "full name")
	dept := fs.String("department", "", "department the user answers for (a document owner, e.g. \"Sở Tư pháp\")")
	pwFile := fs.String("password-file", "-", "file whose first line is the password; - is standard input")
	tokName := fs.String("token-name", "", "what the token is for")
	list := fs.Bool("list", false, "list the user's tokens")
	revoke := fs.Int64("revoke", 0, "revoke the token with this id")
	cfg, fset, err := loadWithExtra("user", args, getenv, stderr, fs)
	if err != nil {
		return err
	}
	store, where, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	if sub == "list" {
		return listUsers(ctx, store, stdout)
	}
	if fset.NArg() != 1 {
		fmt.Fprint(stderr, userUsage)
		return errors.New("user: want exactly one username")
	}
	username := handbook.NormalizeUsername(fset.Arg(0))
	switch sub {
	case "add":
		r, err := handbook.ParseRole(*role)
		if err != nil {
			return userError(err)
		}
		u := &handbook.User{Username: username, Name: *name, Role: r, Department: *dept}
		if err := handbook.ValidateUser(u); err != nil {
			return userError(err)
		}
		pw, generated, err := readPassword(*pwFile)
		if err != nil {
			return err
		}
		if u.PasswordHash, err = api.HashPassword(pw); err != nil {
			return userError(err)
		}
		if err := store.CreateUser(ctx, u); err != nil {
			if handbook.ErrorCode(err) == handbook.Conflict {
				return fmt.Errorf("tài khoản %q đã có", username)
			}
			return err
		}
		fmt.Fprintf(stdout, "Đã tạo tài khoản %s (%s) trong %s.\n", u.Username, u.Role.Label(), where)
		if generated {
			fmt.Fprintf(stdout, "Mật khẩu: %s\n", pw)
		}
		return nil
	case "passwd":
		u, err := findUser(ctx, store, username)
		if err != nil {
			return err
		}
		pw, generated, err := readPassword(*pwFile)
		if err != nil {
			return err
		}
		if u.PasswordHash, err = api.HashPassword(pw); err != nil {
			return userError(err)
		}
		if err := store.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := store.DeleteUserSessions(ctx, u.ID); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Đã đặt mật khẩu mới cho %s và đăng xuất tài khoản khỏi mọi nơi.\n", u.Username)
		if generated {
			fmt.Fprintf(stdout, "Mật khẩu: %s\n", pw)
		}
		return nil
	case "disable", "enable":
		u, err := findUser(ctx, store, username)
		if err != nil {
			return err
		}
		u.Disabled = sub == "disable"
		if err := store.UpdateUser(ctx, u); err != nil {
			return err
		}
		if u.Disabled {
			if err := store.DeleteUserSessions(ctx, u.ID); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Đã khóa tài khoản %s.\n", u.Username)
		} else {
			fmt.Fprintf(stdout, "Đã mở lại tài khoản %s.\n", u.Username)
		}
		return nil
	case "token":
		u, err := findUser(ctx, store, username)
		if err != nil {
			return err
		}
		switch {
		case *list:
			ts, err := store.Tokens(ctx, u.ID)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tTÊN\tNGÀY TẠO")
			for _, t := range ts {
				fmt.Fprintf(w, "%d\t%s\t%s\n", t.ID, t.Name, t.Created.In(handbook.Vietnam).Format("02/01/2006 15:04"))
			}
			return w.Flush()
		case *revoke != 0:
			if err := store.DeleteToken(ctx, u.ID, *revoke); err != nil {
				if handbook.ErrorCode(err) == handbook.NotFound {
					return fmt.Errorf("%s không có mã API số %d", u.Username, *revoke)
				}
				return err
			}
			fmt.Fprintf(stdout, "Đã thu hồi mã API số %d của %s.\n", *revoke, u.Username)
			return nil
		}
		secret, hash := handbook.NewSecret()
		t := &handbook.APIToken{UserID: u.ID, Name: strings.TrimSpace(*tokName), Hash: hash}
		if err := store.CreateToken(ctx, t); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Mã API số %d cho %s (%s). Mã chỉ hiện một lần, hãy lưu lại:\n%s\n", t.ID, u.Username, u.Role.Label(), secret)
		return nil
	}
	fmt.Fprint(stderr, userUsage)
	return fmt.Errorf("user: unknown command %q", sub)
}

func findUser(ctx context.Context, store handbook.Store, username string) (*handbook.User, error) {
	u, err := store.UserByName(ctx, username)
	if handbook.ErrorCode(err) == handbook.NotFound {
		return nil, fmt.Errorf("không có tài khoản %q", username)
	}
	return u, err
}

// userError shows a domain error's Vietnamese message instead of its cause
// (an internal error keeps its cause: the message says nothing useful).
func userError(err error) error {
	if e, ok := errors.AsType[*handbook.Error](err); ok && e.Message != "" && e.Code != handbook.Internal {
		return errors.New(e.Message)
	}
	return err
}

// readPassword reads the first line of file ("-" is standard input). An
// empty line (or no input) means: generate one. Typed at a terminal, the
// password is not echoed (the commune PC is shared) and is asked twice.
func readPassword(file string) (pw string, generated bool, err error) {
	var r io.Reader = os.Stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return "", false, err
		}
		defer f.Close()
		r = f
	} else if fd := int(os.Stdin.Fd()); term.IsTerminal(fd) {
		return promptPassword(fd)
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, err
	}
	pw = strings.TrimRight(line, "\r\n")
	if pw == "" {
		secret, _ := handbook.NewSecret()
		return secret[:20], true, nil
	}
	return pw, false, nil
}

// promptPassword asks for a password at the terminal fd without echo.
func promptPassword(fd int) (pw string, generated bool, err error) {
	ask := func(prompt string) (string, error) {
		fmt.Fprint(os.Stderr, prompt)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(os.Stderr)
		return string(b), err
	}
	pw, err = ask("Mật khẩu (để trống để tạo ngẫu nhiên): ")
	if err != nil {
		return "", false, err
	}
	if pw == "" {
		secret, _ := handbook.NewSecret()
		return secret[:20], true, nil
	}
	again, err := ask("Nhập lại mật khẩu: ")
	if err != nil {
		return "", false, err
	}
	if again != pw {
		return "", false, errors.New("hai lần nhập mật khẩu không khớp")
	}
	return pw, false, nil
}

func listUsers(ctx context.Context, store handbook.Store, stdout io.Writer) error {
	us, err := store.Users(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TÊN ĐĂNG NHẬP\tHỌ TÊN\tVAI TRÒ\tĐƠN VỊ\tTRẠNG THÁI")
	for _, u := range us {
		state := "hoạt động"
		if u.Disabled {
			state = "đã khóa"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", u.Username, u.Name, u.Role, u.Department, state)
	}
	return w.Flush()
}
