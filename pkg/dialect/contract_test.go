package dialect_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"

	pb "github.com/switchboard-cc/switchboard/pkg/dialect/dialectpb"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestWireContractGolden pins the wire contract (every service, message,
// field name, number and type) of the generated code. Plugins in other
// languages depend on it: a change here must be deliberate (run with
// -update, and bump dialect.Handshake.ProtocolVersion when it breaks
// compatibility, e.g. a renumbered or retyped field).
func TestWireContractGolden(t *testing.T) {
	for _, fd := range []protoreflect.FileDescriptor{pb.File_switchboard_dialect_v1_dialect_proto, pb.File_switchboard_dialect_v1_host_proto} {
		desc := protodesc.ToFileDescriptorProto(fd)
		desc.SourceCodeInfo = nil
		desc.Options = nil // go_package: not part of the wire
		got, err := prototext.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(desc)
		if err != nil {
			t.Fatal(err)
		}
		// prototext output is deliberately unstable in whitespace; normalise.
		lines := strings.Split(string(got), "\n")
		for i, l := range lines {
			indent := len(l) - len(strings.TrimLeft(l, " "))
			lines[i] = strings.Repeat(" ", indent) + strings.Join(strings.Fields(l), " ")
		}
		got = []byte(strings.Join(lines, "\n"))
		path := filepath.Join("testdata", strings.TrimSuffix(filepath.Base(fd.Path()), ".proto")+".descriptor.txt")
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s changed; if on purpose, run go test ./pkg/dialect -run WireContract -update and review the diff", fd.Path())
		}
	}
}
