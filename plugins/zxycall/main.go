// Command zxycall is the Switchboard dialect plugin that speaks zxycall's AI
// outbound task API (see README.md). Build it into the plugin directory as
// "zxycall" and the service mounts it at /zxycall/.
package main

import (
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/plugins/zxycall/zxycalldialect"
)

func main() {
	dialect.Serve(zxycalldialect.New(zxycalldialect.Config{}))
}
