// Package mergecmd is the body of cmd/moonpool-merge, which merges the
// results files of a sweep's shards into one report, the report one
// process running every shard's seeds would have written:
//
//	go test -run '^TestKV$' ./examples/kv -simall -simseeds=100000 -simshard=2/8 -simresults=out/
//	moonpool-merge out/
//
// It is [simtest.MergeResults] behind a command line; the command takes
// its own flags only, none of simtest's -sim* flags.
package mergecmd
