// Package shareddata tells tests and the development scripts where the
// real data sets are: a folder holding trec/, sst2/, mr/ and
// 20news-bydate-train/ (each with its own README), kept outside the
// repository.
//
// # Where
//
// The folder is the value of the environment variable LSTMCTL_SHARED_DATA
// when it is set, and otherwise shared/data beside the repository's root:
// the folder shared/data in the parent of <root>, where <root> is the module root, the nearest
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
// Dir and Path are for tests; Locate gives the scripts the same default.
package shareddata
