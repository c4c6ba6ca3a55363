package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// latencies summarises a set of request timings.
type latencies struct {
	N      int           `json:"n"`
	Errors int           `json:"errors"`
	P50    time.Duration `json:"p50_ns"`
	P95    time.Duration `json:"p95_ns"`
	P99    time.Duration `json:"p99_ns"`
	Max    time.Duration `json:"max_ns"`
	QPS    float64       `json:"qps"`
}

// summarise computes nearest-rank percentiles of ds; wall is the time the
// whole run took (for the throughput).
func summarise(ds []time.Duration, errors int, wall time.Duration) latencies {
	l := latencies{N: len(ds), Errors: errors}
	if len(ds) == 0 {
		return l
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration {
		i := int(math.Ceil(q*float64(len(s)))) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	l.P50, l.P95, l.P99, l.Max = at(0.50), at(0.95), at(0.99), s[len(s)-1]
	if wall > 0 {
		l.QPS = float64(len(ds)) / wall.Seconds()
	}
	return l
}

// ms formats a duration in milliseconds with a precision that suits it.
func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	switch {
	case f >= 100:
		return fmt.Sprintf("%.0f ms", f)
	case f >= 10:
		return fmt.Sprintf("%.1f ms", f)
	}
	return fmt.Sprintf("%.2f ms", f)
}

// machine describes where a benchmark ran.
type machine struct {
	CPU      string  `json:"cpu"`
	Cores    int     `json:"cores"`
	MemGiB   float64 `json:"mem_gib"`
	OS       string  `json:"os"`
	Go       string  `json:"go"`
	Hostname string  `json:"hostname"`
}

func thisMachine() machine {
	m := machine{Cores: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version()}
	m.Hostname, _ = os.Hostname()
	if v, ok := procField("/proc/cpuinfo", "model name"); ok {
		m.CPU = v
	}
	if v, ok := procField("/proc/meminfo", "MemTotal"); ok {
		if kb, err := strconv.ParseFloat(strings.Fields(v)[0], 64); err == nil {
			m.MemGiB = math.Round(kb/1024/1024*10) / 10
		}
	}
	return m
}

func (m machine) String() string {
	cpu := m.CPU
	if cpu == "" {
		cpu = "unknown CPU"
	}
	return fmt.Sprintf("%d cores (%s), %.0f GiB RAM, %s, %s", m.Cores, cpu, m.MemGiB, m.OS, m.Go)
}

// procField returns the value of the first "key: value" line of a /proc file.
func procField(path, key string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// loadAverage returns the 1-minute load average ("" off Linux): the machine
// is shared, so every figure is reported next to it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	if f := strings.Fields(string(b)); len(f) >= 3 {
		return f[0] + " " + f[1] + " " + f[2]
	}
	return ""
}

// memoryOf returns VmHWM (peak resident set) and VmRSS of a process, in
// bytes, from /proc/<pid>/status ("self" for this process).
func memoryOf(pid string) (peak, rss int64, err error) {
	if peak, err = procBytes(pid, "VmHWM"); err != nil {
		return 0, 0, err
	}
	rss, err = procBytes(pid, "VmRSS")
	return peak, rss, err
}

// procBytes reads a "key: N kB" line of /proc/<pid>/status.
func procBytes(pid, key string) (int64, error) {
	v, ok := procField("/proc/"+pid+"/status", key)
	if !ok || v == "" {
		return 0, fmt.Errorf("read %s of process %s: not available", key, pid)
	}
	kb, err := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
	return kb * 1024, err
}

// cpuTime returns the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuTimeOf returns the CPU time of another process (utime + stime from
// /proc/<pid>/stat, in clock ticks of 1/100 s on Linux).
func cpuTimeOf(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * 10 * time.Millisecond
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
