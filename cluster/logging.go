package cluster

import (
	"bytes"
	"context"
	"io"
	"log"
	"log/slog"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// slogWriter forwards the text lines hclog and the standard logger write
// to a *slog.Logger, keeping their level ("[WARN] ...").
type slogWriter struct {
	logger *slog.Logger
	name   string
}

func (w slogWriter) Write(p []byte) (int, error) {
	for line := range bytes.SplitSeq(bytes.TrimRight(p, "\n"), []byte{'\n'}) {
		level, msg := splitLevel(string(line))
		w.logger.Log(context.Background(), level, msg, "component", w.name)
	}
	return len(p), nil
}

// splitLevel finds a "[LEVEL]" marker and returns the level and the text
// after it.
func splitLevel(line string) (slog.Level, string) {
	markers := []struct {
		tag   string
		level slog.Level
	}{
		{"[ERR]", slog.LevelError}, {"[ERROR]", slog.LevelError}, {"[WARN]", slog.LevelWarn},
		{"[INFO]", slog.LevelInfo}, {"[DEBUG]", slog.LevelDebug}, {"[TRACE]", slog.LevelDebug - 4},
	}
	for _, m := range markers {
		if i := strings.Index(line, m.tag); i >= 0 {
			return m.level, strings.TrimSpace(line[i+len(m.tag):])
		}
	}
	return slog.LevelInfo, strings.TrimSpace(line)
}

// newHCLogger adapts logger for hashicorp/raft.
func newHCLogger(name string, logger *slog.Logger) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:        name,
		Output:      slogWriter{logger: logger, name: name},
		Level:       hclog.Info,
		DisableTime: true,
	})
}

// newStdLogger adapts logger for memberlist.
func newStdLogger(name string, logger *slog.Logger) *log.Logger {
	return log.New(io.Writer(slogWriter{logger: logger, name: name}), "", 0)
}
