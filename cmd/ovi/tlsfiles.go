package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/yairfalse/ovi/transport"
)

// Modes of generated TLS material: files 0600, new directories 0700.
const (
	secretFileMode fs.FileMode = 0o600
	secretDirMode  fs.FileMode = 0o700
)

// writeMaterial writes a certificate and its key into dir (created 0700
// when missing) as 0600 files. Without --force it refuses, before writing
// anything, when either file exists; it prints the paths it wrote.
func writeMaterial(c *cli.Context, dir, certFile, keyFile string, pair transport.PEMPair) error {
	force := c.Bool("force")
	files := []struct {
		path string
		data []byte
		what string
	}{
		{filepath.Join(dir, certFile), pair.Cert, "certificate"},
		{filepath.Join(dir, keyFile), pair.Key, "private key"},
	}
	if !force {
		for _, f := range files {
			if _, err := os.Lstat(f.path); err == nil {
				return newCLIError(f.path, errFileExists, "pass --force to replace it")
			}
		}
	}
	if err := os.MkdirAll(dir, secretDirMode); err != nil {
		return newCLIError("--dir", err, "")
	}
	for _, f := range files {
		if err := writeSecretFile(f.path, f.data, force); err != nil {
			return newCLIError(f.path, err, "")
		}
		if _, err := fmt.Fprintf(c.App.Writer, "Created %s (%s, mode 0600)\n", f.path, f.what); err != nil {
			return err
		}
	}
	return nil
}

// writeSecretFile writes data to path with mode 0600. Without force an
// existing file is an error (O_EXCL); with force the file is replaced
// atomically by a rename.
func writeSecretFile(path string, data []byte, force bool) error {
	if !force {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, secretFileMode)
		if errors.Is(err, fs.ErrExist) {
			return errFileExists
		}
		if err != nil {
			return err
		}
		return finish(f, data)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	if err := finish(f, data); err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	return nil
}

// finish writes, syncs and closes f.
func finish(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
