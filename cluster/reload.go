package cluster

import (
	"sync"
	"time"
)

// reloadable holds what SIGHUP may change without a restart.
type reloadable struct {
	mu             sync.Mutex
	interval       time.Duration
	infrastructure string
	logLevel       string
	retention      RetentionConfig
	changed        chan struct{} // closed (and replaced) by every set
}

// set replaces the values and returns the retention it replaced.
func (r *reloadable) set(c Config) RetentionConfig {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.retention
	r.interval, r.infrastructure, r.logLevel, r.retention = c.Interval, c.Infrastructure, c.LogLevel, c.Retention
	if r.changed != nil {
		close(r.changed)
	}
	r.changed = make(chan struct{})
	return old
}

// Reload applies the reloadable keys of cfg: log_level (through
// Config.LogLevelVar), interval, infrastructure, notifications and
// retention (the leader's retention loop picks it up at once; a changed
// policy is logged once). Every key is checked before any is applied, so
// a refused reload changes nothing. Everything else (names,
// addresses, ports, data_dir, Raft tuning, security) needs a restart and is
// ignored with a warning when it differs.
func (a *Agent) Reload(cfg Config) error {
	level, err := parseLevel(cfg.LogLevel)
	if err != nil {
		return err
	}
	if cfg.Interval <= 0 {
		return ErrConfig
	}
	if err := cfg.checkNotifications(); err != nil {
		return err
	}
	if err := cfg.Retention.check(); err != nil {
		return err
	}
	a.reloadNotifications(cfg.Notifications)
	if a.cfg.LogLevelVar != nil {
		a.cfg.LogLevelVar.Set(level)
	}
	if old := a.reload.set(cfg); old != cfg.Retention {
		a.logger.Info("retention changed", "from", old.String(), "to", cfg.Retention.String())
	}
	if cfg.NodeName != a.cfg.NodeName || cfg.DataDir != a.cfg.DataDir || cfg.BindAddr != a.cfg.BindAddr || cfg.Ports != a.cfg.Ports {
		a.logger.Warn("reload: node_name, data_dir, bind_addr and ports need a restart; kept the running values")
	}
	a.logger.Info("configuration reloaded", "log_level", cfg.LogLevel, "interval", cfg.Interval, "infrastructure", cfg.Infrastructure)
	if cfg.TLS != a.cfg.TLS || cfg.GossipKey != a.cfg.GossipKey || cfg.ACL != a.cfg.ACL || cfg.InsecurePlaintext != a.cfg.InsecurePlaintext {
		a.logger.Warn("reload: tls, gossip_key, acl and insecure_plaintext need a restart; kept the running values")
	}
	if a.cfg.insecure() {
		a.logger.Warn(insecureWarning, "bind_addr", a.cfg.BindAddr)
	}
	return nil
}

// Interval is the reconcile interval in force (reloadable).
func (a *Agent) Interval() time.Duration {
	a.reload.mu.Lock()
	defer a.reload.mu.Unlock()
	return a.reload.interval
}

// Reloaded returns a channel closed by the next successful Reload: read
// Interval and Infrastructure again then, and call Reloaded again for the
// one after.
func (a *Agent) Reloaded() <-chan struct{} {
	a.reload.mu.Lock()
	defer a.reload.mu.Unlock()
	return a.reload.changed
}

// Retention is the retention setting in force (reloadable).
func (a *Agent) Retention() RetentionConfig {
	a.reload.mu.Lock()
	defer a.reload.mu.Unlock()
	return a.reload.retention
}

// Infrastructure is the desired-configuration path in force (reloadable).
func (a *Agent) Infrastructure() string {
	a.reload.mu.Lock()
	defer a.reload.mu.Unlock()
	return a.reload.infrastructure
}
