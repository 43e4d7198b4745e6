// Command hello prints its arguments; the build tests run it.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println("hello", os.Args[1:], greeting)
}
