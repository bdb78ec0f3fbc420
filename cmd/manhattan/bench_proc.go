package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The bench's process figures, from /proc and getrusage (Linux). Where a figure cannot be
// read it is zero and printed as "?".

// processCPU returns the user + system CPU time this process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS resets the kernel's record of this process's peak resident set size
// (VmHWM), so that the next peakRSS reports the peak from now on.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS and currentRSS return this process's peak and current resident set size in
// bytes, or 0.
func peakRSS() int64    { return procKB("/proc/self/status", "VmHWM:") }
func currentRSS() int64 { return procKB("/proc/self/status", "VmRSS:") }

func procKB(path, key string) int64 {
	f := strings.Fields(procField(path, key))
	if len(f) == 0 {
		return 0
	}
	kb, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return 0
	}
	return kb << 10
}

func cpuModel() string {
	return procField("/proc/cpuinfo", "model name")
}

func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "?"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, key) {
			v := strings.TrimSpace(strings.TrimPrefix(line, key))
			return strings.TrimSpace(strings.TrimPrefix(v, ":"))
		}
	}
	return "?"
}

// serverCPU returns the CPU time used so far by the PostgreSQL server whose data folder
// is dir: the postmaster, its exited children (reaped into its own account) and its live
// ones (backends, checkpointer, WAL writer, autovacuum). It returns 0 when dir is "" or
// the server's process cannot be read.
func serverCPU(dir string) time.Duration {
	if dir == "" {
		return 0
	}
	b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		return 0
	}
	st, ok := procStat(pid)
	if !ok {
		return 0
	}
	ticks := st.utime + st.stime + st.cutime + st.cstime
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range procs {
		child, err := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if err != nil || child == pid {
			continue
		}
		if cs, ok := procStat(child); ok && cs.ppid == int64(pid) {
			ticks += cs.utime + cs.stime
		}
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times: 100 on every Linux platform Go
// supports.
const clockTicks = 100

type statFields struct{ ppid, utime, stime, cutime, cstime int64 }

// procStat reads the parent and the CPU times of process pid from /proc/PID/stat.
func procStat(pid int) (statFields, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return statFields{}, false
	}
	// The command name, field 2, is in parentheses and may hold spaces: split after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return statFields{}, false
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 15 {
		return statFields{}, false
	}
	num := func(k int) int64 { n, _ := strconv.ParseInt(f[k-3], 10, 64); return n }
	return statFields{ppid: num(4), utime: num(14), stime: num(15), cutime: num(16), cstime: num(17)}, true
}
