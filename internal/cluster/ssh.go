package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"
)

// maxOutputBytes bounds what one remote command's stdout or stderr keeps.
const maxOutputBytes = 1 << 20

// conn is one SSH connection to a host.
type conn struct {
	host   string // address as the inventory names it
	client *ssh.Client
}

// dialer opens SSH connections with the inventory's host key checking.
type dialer struct {
	hostKeys ssh.HostKeyCallback
	timeout  time.Duration
}

func newDialer(inv *Inventory) (*dialer, error) {
	d := &dialer{timeout: inv.ConnectTimeout.Std()}
	if inv.InsecureIgnoreHostKey {
		d.hostKeys = ssh.InsecureIgnoreHostKey()
		return d, nil
	}
	cb, err := knownhosts.New(inv.KnownHosts)
	if err != nil {
		return nil, fmt.Errorf("cluster: known_hosts %s: %w (add the hosts' keys with ssh-keyscan, or set insecure_ignore_host_key for throw-away machines)", inv.KnownHosts, err)
	}
	d.hostKeys = cb
	return d, nil
}

func (d *dialer) dial(ctx context.Context, h Host) (*conn, error) {
	auth, err := authMethods(h.SSH.Key)
	if err != nil {
		return nil, err
	}
	host, port, err := splitAddress(h.Address, h.SSH.Port)
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	cfg := &ssh.ClientConfig{User: h.SSH.User, Auth: auth, HostKeyCallback: d.hostKeys, Timeout: d.timeout}
	nd := net.Dialer{Timeout: d.timeout}
	tcp, err := nd.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	// The handshake has no context of its own: bound it by a deadline.
	tcp.SetDeadline(time.Now().Add(d.timeout))
	c, chans, reqs, err := ssh.NewClientConn(tcp, addr, cfg)
	if err != nil {
		tcp.Close()
		var keyErr *knownhosts.KeyError
		if errors.As(err, &keyErr) {
			if len(keyErr.Want) == 0 {
				return nil, fmt.Errorf("host key of %s is not in known_hosts (ssh-keyscan -p %d %s >> known_hosts)", addr, port, host)
			}
			return nil, fmt.Errorf("host key of %s does not match known_hosts: refusing to connect", addr)
		}
		return nil, err
	}
	tcp.SetDeadline(time.Time{})
	return &conn{host: h.Address, client: ssh.NewClient(c, chans, reqs)}, nil
}

func authMethods(keyFile string) ([]ssh.AuthMethod, error) {
	if keyFile != "" {
		data, err := readBounded(keyFile, 1<<20)
		if err != nil {
			return nil, fmt.Errorf("ssh key: %w", err)
		}
		signer, err := ssh.ParsePrivateKey(data)
		if err != nil {
			return nil, fmt.Errorf("ssh key %s: %w (an unencrypted key, or leave key empty to use the SSH agent)", keyFile, err)
		}
		return []ssh.AuthMethod{ssh.PublicKeys(signer)}, nil
	}
	sock := os.Getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return nil, errors.New("no ssh key set and no SSH agent ($SSH_AUTH_SOCK) to ask")
	}
	ac, err := net.Dial("unix", sock)
	if err != nil {
		return nil, fmt.Errorf("ssh agent: %w", err)
	}
	return []ssh.AuthMethod{ssh.PublicKeysCallback(agent.NewClient(ac).Signers)}, nil
}

func (c *conn) Close() error { return c.client.Close() }

// run executes a shell command, feeding stdin (may be nil), and returns
// its stdout. A non-zero exit is an error carrying the end of stderr.
func (c *conn) run(ctx context.Context, cmd string, stdin io.Reader) ([]byte, error) {
	var out bytes.Buffer
	err := c.stream(ctx, cmd, stdin, &limitedWriter{w: &out, n: maxOutputBytes})
	return out.Bytes(), err
}

// stream is run with stdout written to w.
func (c *conn) stream(ctx context.Context, cmd string, stdin io.Reader, w io.Writer) error {
	s, err := c.client.NewSession()
	if err != nil {
		return err
	}
	defer s.Close()
	var errBuf bytes.Buffer
	s.Stdin, s.Stdout, s.Stderr = stdin, w, &limitedWriter{w: &errBuf, n: 16 << 10}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			s.Signal(ssh.SIGTERM)
			s.Close()
		case <-done:
		}
	}()
	if err := s.Run(cmd); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		msg := strings.TrimSpace(errBuf.String())
		if msg == "" {
			return err
		}
		return fmt.Errorf("%w: %s", err, lastLines(msg, 5))
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// limitedWriter keeps the first n bytes and discards the rest, so a
// chatty remote command cannot exhaust memory.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
