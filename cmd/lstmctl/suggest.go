package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lstmctl/lstmctl/internal/config"
	"github.com/lstmctl/lstmctl/internal/suggest"
)

// flagError makes a flag error a usage error and suggests the flag an
// unknown one most likely misspells (--epoch: did you mean --epochs?).
func flagError(c *cobra.Command, err error) error {
	if ne, ok := errors.AsType[*pflag.NotExistError](err); ok && ne.GetSpecifiedShortnames() == "" {
		var names []string
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && f.Deprecated == "" {
				names = append(names, f.Name)
			}
		})
		if s := suggest.Closest(ne.GetSpecifiedName(), names); s != "" {
			err = fmt.Errorf("%w (did you mean --%s?)", err, s)
		}
	}
	return &usageError{err: err, cmd: c.CommandPath()}
}

// unknownCommand is the usage error for an argument that names none of c's
// subcommands, suggesting the one it most likely misspells.
func unknownCommand(c *cobra.Command, name string) error {
	var names []string
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() || sub.Name() == "help" {
			names = append(names, sub.Name())
		}
	}
	msg := fmt.Sprintf("unknown command %q for %q", name, c.CommandPath())
	if s := suggest.Closest(name, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", s)
	}
	return &usageError{err: errors.New(msg), cmd: c.CommandPath()}
}

// newHelpCmd is `lstmctl help [command]`; an unknown topic is an unknown
// command, with its suggestion.
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if err != nil {
				return err
			}
			if len(rest) > 0 {
				return unknownCommand(cmd, rest[0])
			}
			return cmd.Help()
		},
	}
}

// loadConfig is config.Load with the streams' environment, after a warning
// for each LSTMCTL_ variable that sets nothing (a misspelt one would
// otherwise be ignored silently).
func loadConfig(ios *IOStreams, file string, base []byte, set map[string]any) (*config.Settings, error) {
	if ios.Environ != nil {
		for _, w := range config.EnvWarnings(ios.Environ()) {
			fmt.Fprintf(ios.ErrOut, "warning: %s\n", w)
		}
	}
	return config.Load(file, base, ios.Env, set)
}

// printError writes an error to stderr as "lstmctl: " and its first line;
// further lines keep their structure, indented under it (tabs as two
// spaces), without blank lines.
func printError(w io.Writer, err error) {
	lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
	fmt.Fprintf(w, "lstmctl: %s\n", strings.TrimRight(lines[0], " \t\r"))
	for _, l := range lines[1:] {
		l = strings.TrimRight(l, " \t\r")
		if l == "" {
			continue
		}
		trimmed := strings.TrimLeft(l, "\t")
		fmt.Fprintf(w, "  %s%s\n", strings.Repeat("  ", len(l)-len(trimmed)), trimmed)
	}
}
