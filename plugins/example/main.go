// Command example is the smallest working Switchboard dialect plugin, the
// model for vendors: build it into the plugin directory under the name of
// its route prefix ("example") and the service mounts it at /example/.
package main

import (
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/plugins/example/exampledialect"
)

func main() {
	dialect.Serve(exampledialect.New())
}
