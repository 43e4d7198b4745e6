// Command flagless imports simtest outside a test binary and lists the
// flags of the command line whose names start with "sim": there must be
// none.
package main

import (
	"flag"
	"fmt"
	"strings"

	_ "github.com/moonpool-go/moonpool/simtest"
)

func main() {
	flag.VisitAll(func(f *flag.Flag) {
		if strings.HasPrefix(f.Name, "sim") {
			fmt.Println(f.Name)
		}
	})
	fmt.Println("done")
}
