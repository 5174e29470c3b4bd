// Command ringme is the ringme dialect plugin: the vendor's ver1.0 REST
// API served by Switchboard at /ringme/api/ver1.0/. Build it into the
// plugin directory under the name "ringme".
//
// RINGME_RATE_LIMIT sets the requests per client per hour (default 10000;
// 0 turns the limit off).
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/switchboard-cc/switchboard/pkg/dialect"
	"github.com/switchboard-cc/switchboard/plugins/ringme/ringmedialect"
)

const defaultRateLimit = 10_000

func main() {
	limit := defaultRateLimit
	if v := os.Getenv("RINGME_RATE_LIMIT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			fmt.Fprintf(os.Stderr, "ringme: RINGME_RATE_LIMIT must be a non-negative integer (got %q)\n", v)
			os.Exit(2)
		}
		limit = n
	}
	dialect.Serve(ringmedialect.New(ringmedialect.Config{RateLimit: limit}))
}
