// Command ovi is Ovi's agent and command line.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newApp().Run(os.Args); err != nil {
		fmt.Fprintf(os.Stderr, "ovi: %v\n", err)
		os.Exit(1)
	}
}
