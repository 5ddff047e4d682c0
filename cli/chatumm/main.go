// Command chatumm runs conversational unified multimodal models (the
// Chameleon family and chatumm's own tiny model) on the CPU.
package main

import (
	"os"

	"github.com/chatumm/chatumm/cli"
)

func main() { os.Exit(cli.Main(os.Args)) }
