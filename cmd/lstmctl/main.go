// Command lstmctl trains LSTM text classifiers, evaluates them and predicts
// with them.
//
// See README.md and `lstmctl --help`. main only exits: Main builds the command
// tree, runs it and maps errors to exit codes in one place (exitCode).
package main

import "os"

func main() { os.Exit(Main()) }
