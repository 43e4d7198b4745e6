// Package orders is a small JSON service over a store, run unchanged in a
// simulation and in production: the worked example of serving an existing
// net/http service with package simhttp.
//
// [Service] is an ordinary http.Handler (a ServeMux with method and
// wildcard patterns) over a [Store]. Production keeps orders in SQLite
// ([SQLStore], the pure-Go driver modernc.org/sqlite, so a fresh machine
// needs nothing else); simulations use [FakeStore], whose calls take
// simulated time and fail now and then, before or after they act, at
// chaos.Buggify sites. One contract test runs against both stores.
//
// The simulation (TestOrders) serves the API with simhttp.Server on
// 10.0.0.1 and has three clients place orders through simhttp.NewClient
// under the default network chaos, retrying each until it is answered. It
// asserts that an answered order reads back at once, that no answered
// order is lost, and that each order is taken from the stock once.
//
// With -planted the service places an order in separate store calls (look
// for it, read the stock, write it back, record the order): two requests
// that overlap read the same stock, and one order's take is lost or a
// retry's is taken twice. The simulation finds a seed and prints the line
// that replays it; the fixed service places an order in one store call.
package orders
