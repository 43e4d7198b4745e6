// Package zones is a blob store whose blobs are each kept by three
// replicas, the example of Moonpool for Go's cluster topology.
//
// [Server] is a replica: it keeps the blobs it is sent on its disk and
// answers reads. [Replicas] picks the three replicas of a key from the
// cluster's peers, and [Client] writes a blob to all three and reads it
// from the first that answers, asking them all twice. Three copies
// survive any single process crash. Whether they survive a zone's outage (a rack's power, an
// availability zone) depends on where the copies are: [Replicas] places
// them on peers of three different zones, read from each peer's
// providers.Locality, and [Naive] places them on three consecutive peers,
// as a ring does when it knows nothing of zones.
//
// The tests run nine replicas on nine machines, three machines in each of
// three zones. Under process crashes both placements pass; with a zone's
// outage on top, made by a fault injector, the zone-aware placement
// passes, and with -planted the naive one loses a blob whose three copies
// sit in the zone that went dark, and prints the line that replays the
// seed.
package zones
