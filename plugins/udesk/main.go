// Command udesk is the udesk dialect plugin: Udesk's open API v1 for
// automatic callout tasks, mounted by the service at /udesk/. Build it into
// the plugin directory under the name "udesk".
package main

import (
	"fmt"
	"os"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/plugins/udesk/udeskdialect"
)

func main() {
	d, err := udeskdialect.New(udeskdialect.Config{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dialect.Serve(d)
}
