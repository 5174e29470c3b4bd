// Command ringme is the ringme dialect plugin: the vendor's ver1.0 REST
// API served by Switchboard at /ringme/api/ver1.0/. Build it into the
// plugin directory under the name "ringme".
package main

import (
	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/plugins/ringme/ringmedialect"
)

func main() {
	dialect.Serve(ringmedialect.New(ringmedialect.Config{}))
}
