// CoreDNS with only the plugins the local cluster's Corefile uses (cluster.sh): the upstream binary compiles
// every plugin, cloud DNS SDKs included, which made it the slowest build of the cluster by far. This is
// CoreDNS's documented way to choose plugins at compile time: set dnsserver.Directives and import the
// plugins, then run coremain.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
)

// The plugins in CoreDNS's own order (plugin.cfg): a server block's plugins run in this order, whatever
// order the Corefile lists them in.
var directives = []string{"errors", "loadbalance", "kubernetes"}

func init() { dnsserver.Directives = directives }

func main() { coremain.Run() }
