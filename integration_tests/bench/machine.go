package bench

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// Machine describes the computer a run happened on.
type Machine struct {
	CPUModel  string
	Cores     int
	MemBytes  int64
	Kernel    string
	Hostname  string
	GoVersion string
}

// ReadMachine reads /proc for the CPU model, cores and memory.
func ReadMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		s := bufio.NewScanner(f)
		for s.Scan() {
			if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				m.MemBytes = n * 1024
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.Hostname, _ = os.Hostname()
	return m
}

// Kind is a short name for the machine's kind, used in the report's file
// name: "<cores>cpu-<vendor>-<GiB>g", e.g. "2cpu-amd-epyc-24g".
func (m Machine) Kind() string {
	model := strings.ToLower(m.CPUModel)
	vendor := "cpu"
	for _, v := range []string{"epyc", "xeon", "ryzen", "core", "graviton", "neoverse"} {
		if strings.Contains(model, v) {
			vendor = v
			break
		}
	}
	switch {
	case strings.Contains(model, "amd"):
		vendor = "amd-" + vendor
	case strings.Contains(model, "intel"):
		vendor = "intel-" + vendor
	}
	gib := (m.MemBytes + 1<<29) >> 30
	return strconv.Itoa(m.Cores) + "cpu-" + vendor + "-" + strconv.FormatInt(gib, 10) + "g"
}

// LoadAvg returns the 1, 5 and 15 minute load averages.
func LoadAvg() [3]float64 {
	var out [3]float64
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return out
	}
	f := strings.Fields(string(b))
	for i := 0; i < 3 && i < len(f); i++ {
		out[i], _ = strconv.ParseFloat(f[i], 64)
	}
	return out
}

// commandVersion returns the first line of `name args...` (empty on error).
func commandVersion(name string, args ...string) string {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}
