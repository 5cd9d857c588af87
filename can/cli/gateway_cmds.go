package cli

// addGateway adds the kernel gateway and link subcommands (gw.go and
// link.go, owned by the netlinkfam engineer).
func addGateway(m map[string]subcommand) {
	m["gw"] = subcommand{"kernel CAN gateway rules (cangw): gw add|del|flush|list ...", gwMain}
	m["link"] = subcommand{"CAN link settings (ip link): link set|show|add|del ...", linkMain}
}
