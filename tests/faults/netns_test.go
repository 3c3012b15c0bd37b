package faults

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
)

// The Kafka case needs the worker to lose Kafka without the shared broker being touched. The
// broker advertises 127.0.0.1:9092, so a proxy on another port would be bypassed after the first
// metadata answer. Instead the worker runs in a network namespace of its own (unshare --net),
// where 127.0.0.1 is a loopback only it sees: a helper in the namespace listens on the test bed's
// ports there and carries each connection over a Unix socket (the file system is shared) to a
// gate in the test process, which connects to the real service — or, while cut, drops every
// connection and refuses new ones. The REST API comes out the same way in the other direction.

// netnsEnv makes the test binary run as the helper inside the namespace.
const netnsEnv = "CONNECTD_FAULTS_NETNS"

// nsSpec is what the helper needs: the directory of the Unix sockets, the ports to carry out,
// the worker's REST port inside, and the worker's command line and log file.
type nsSpec struct {
	Dir      string
	Ports    []int
	RestPort int
	Args     []string
	Log      string
}

func TestMain(m *testing.M) {
	if s := os.Getenv(netnsEnv); s != "" {
		os.Exit(nsHelper(s))
	}
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath)) // the worker binary built for this run
	}
	os.Exit(code)
}

// nsHelper runs inside the namespace: loopback up, forwarders, then the worker, which dies with
// the helper (a SIGKILL of the helper is a SIGKILL of the worker).
func nsHelper(spec string) int {
	var s nsSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		fmt.Fprintln(os.Stderr, "netns helper:", err)
		return 2
	}
	if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "netns helper: ip link set lo up: %v %s\n", err, out)
		return 2
	}
	for _, p := range s.Ports {
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			fmt.Fprintln(os.Stderr, "netns helper:", err)
			return 2
		}
		go forward(ln, "unix", filepath.Join(s.Dir, strconv.Itoa(p)+".sock"))
	}
	rest := filepath.Join(s.Dir, "rest.sock")
	ln, err := net.Listen("unix", rest)
	if err != nil {
		fmt.Fprintln(os.Stderr, "netns helper:", err)
		return 2
	}
	go forward(ln, "tcp", "127.0.0.1:"+strconv.Itoa(s.RestPort))
	logf, err := os.Create(s.Log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "netns helper:", err)
		return 2
	}
	cmd := exec.Command(s.Args[0], s.Args[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(logf, "netns helper: worker:", err)
		return 1
	}
	return 0
}

// forward accepts connections on ln and pipes each to a new connection to network/addr.
func forward(ln net.Listener, network, addr string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			u, err := net.Dial(network, addr)
			if err != nil {
				c.Close()
				return
			}
			pipe(c, u)
		}()
	}
}

// pipe copies both ways until either side ends, then closes both.
func pipe(a, b net.Conn) {
	var once sync.Once
	done := func() { once.Do(func() { a.Close(); b.Close() }) }
	go func() { _, _ = io.Copy(a, b); done() }()
	_, _ = io.Copy(b, a)
	done()
}

// gate carries the namespace's connections to one service of the test bed, and can cut them.
type gate struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]bool
}

func newGate(t *testing.T, sock, target string) *gate {
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); g.setCut(true) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go g.serve(c)
		}
	}()
	return g
}

func (g *gate) serve(c net.Conn) {
	g.mu.Lock()
	if g.cut {
		g.mu.Unlock()
		c.Close()
		return
	}
	g.mu.Unlock()
	u, err := net.Dial("tcp", g.target)
	if err != nil {
		c.Close()
		return
	}
	g.mu.Lock()
	if g.cut {
		g.mu.Unlock()
		c.Close()
		u.Close()
		return
	}
	g.conns[c], g.conns[u] = true, true
	g.mu.Unlock()
	pipe(c, u)
	g.mu.Lock()
	delete(g.conns, c)
	delete(g.conns, u)
	g.mu.Unlock()
}

// setCut cuts (closing every open connection) or restores the way to the service.
func (g *gate) setCut(cut bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cut = cut
	if cut {
		for c := range g.conns {
			c.Close()
		}
	}
}

// netns is the gates of one test, kept across worker restarts.
type netns struct {
	dir   string
	ports []int
	gates map[int]*gate
}

// newNetns makes gates for the test bed's ports (given as host:port addresses).
func newNetns(t *testing.T, addrs ...string) *netns {
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Fatalf("unshare (util-linux) is needed to give the worker its own network namespace: %v", err)
	}
	// Unix socket paths are limited to 108 bytes: t.TempDir() can be longer.
	dir, err := os.MkdirTemp("", "nsf")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	n := &netns{dir: dir, gates: map[int]*gate{}}
	for _, a := range addrs {
		_, ps, err := net.SplitHostPort(a)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := strconv.Atoi(ps)
		n.ports = append(n.ports, p)
		n.gates[p] = newGate(t, filepath.Join(dir, ps+".sock"), a)
	}
	return n
}

// command returns the command that runs args as the worker inside a new namespace, with its
// REST port inside and the port it is reached at from the test.
func (n *netns) command(t *testing.T, args []string, restPort, outsidePort int, log string) *exec.Cmd {
	_ = os.Remove(filepath.Join(n.dir, "rest.sock"))
	spec, _ := json.Marshal(nsSpec{Dir: n.dir, Ports: n.ports, RestPort: restPort, Args: args, Log: log})
	cmd := exec.Command("unshare", "--net", os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), netnsEnv+"="+string(spec))
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(outsidePort))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go forward(ln, "unix", filepath.Join(n.dir, "rest.sock"))
	return cmd
}
