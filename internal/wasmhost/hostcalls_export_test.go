package wasmhost

// CountHostCalls makes an instance run with c count the program's calls
// of host functions into n.
func CountHostCalls(c *Config, n *int) { c.hostCalls = n }
