// Package onnx is the ONNX model format (onnx.proto, the ONNX project's
// specification, Apache-2.0) compiled to Go with google.golang.org/protobuf.
//
// onnx.proto is the file Debian's python3-onnx 1.12.0 ships (IR version 8,
// operator sets up to 17), unchanged. onnx.pb.go is generated from it; do
// not edit it. To regenerate it, with protoc from Debian's protobuf-compiler:
//
//	make onnx-proto
//
// which installs protoc-gen-go v1.36.12 into bin/ and runs
//
//	protoc --plugin=protoc-gen-go=bin/protoc-gen-go --go_out=internal/onnx \
//	  --go_opt=paths=source_relative \
//	  --go_opt=Monnx.proto=github.com/lstmctl/lstmctl/internal/onnx \
//	  -I internal/onnx onnx.proto
package onnx
