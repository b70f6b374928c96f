// Package shareddata tells tests where the real data sets are: the folder
// that /work/shared/data/README.md describes (trec/, sst2/, mr/,
// 20news-bydate-train/), which is kept outside the repository.
//
// # Where
//
// The folder is the value of the environment variable LSTMCTL_SHARED_DATA
// when it is set, and otherwise shared/data beside the repository's root:
// <root>/../shared/data, where <root> is the module root, the nearest
// directory at or above the working directory whose go.mod declares module
// github.com/lstmctl/lstmctl. go test runs each package in its own
// directory, so the location is found from the module root and not from the
// package; for the same reason a relative LSTMCTL_SHARED_DATA is taken from
// the module root.
//
// # When it is missing
//
// A user's fresh clone has no shared folder, and its real-data tests skip,
// each with a message naming the path it looked at and the variable that
// moves it. In CI (CI=true or CI=1) the same test fails instead: there the
// data is part of the contract, and a skip would let the suite pass without
// the accuracy floors it exists to check.
//
// The package is for _test.go files only: it imports testing.
package shareddata
