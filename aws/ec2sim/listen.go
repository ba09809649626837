package ec2sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// shutdownGrace bounds how long stopping waits for in-flight requests.
const shutdownGrace = 5 * time.Second

// newHTTPServer wraps s with sane timeouts.
func (s *Server) newHTTPServer() *http.Server {
	return &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
}

// Serve answers requests on ln until ctx is done, then shuts down gracefully.
// It returns nil after a shutdown caused by ctx.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := s.newHTTPServer()
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("ec2sim: serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("ec2sim: shutting down: %w", err)
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("ec2sim: serving on %s: %w", ln.Addr(), err)
	}
	return nil
}

// ListenAndServe listens on addr (e.g. "127.0.0.1:4566") and serves until
// ctx is done.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("ec2sim: listening on %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Start listens on addr (use "127.0.0.1:0" in tests) and serves in the
// background. It returns the endpoint URL (e.g. "http://127.0.0.1:41234")
// and a stop function that shuts the server down and waits for it.
func (s *Server) Start(addr string) (string, func(), error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("ec2sim: listening on %s: %w", addr, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.Serve(ctx, ln); err != nil {
			s.opts.Logger.Error("ec2sim: server stopped", "err", err)
		}
	}()
	stop := func() {
		cancel()
		<-done
	}
	return "http://" + ln.Addr().String(), stop, nil
}
