// Package cmdline is the machinery of a program made of subcommands, such
// as fieldgate: the dispatcher (Program.Main) with "help TOPIC",
// "completion bash|zsh|fish" and "man", flag parsing with errors a person
// can act on (Parse, UsageError), and the description of every
// subcommand (Describe) from which the shell completions and the man pages
// are generated.
//
// A command's description comes from the same flag definitions the
// command parses: from its Flags function when it has one (the
// *flag.FlagSet it registers, built without running anything), else from
// its -h output, which every subcommand prints from its flag set. The
// -h output also gives the synopsis, the prose and, for commands with
// subcommands ("fieldgate can dump"), the "commands:" list.
package cmdline
