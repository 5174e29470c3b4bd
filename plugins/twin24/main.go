// Command twin24 is the twin24 dialect plugin: twin24's robot auto-call API
// under /twin24/api/v1. Build it into the plugin directory as "twin24".
package main

import (
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/plugins/twin24/twin24dialect"
)

func main() {
	dialect.Serve(twin24dialect.New())
}
