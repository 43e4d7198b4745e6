// Package chaos is fault injection for simulations: buggify for code under
// test, and the configuration of every fault the simulation injects.
//
// # Buggify
//
// [Buggify], [BuggifyWithProb], [Knob] and [KnobRange] mark the places in code under
// test where a rare but legal behaviour hides: a slow path, an early
// return, a tiny batch, a spurious retry. In a simulation those places are
// reached often, each switched on or off for a whole run by the seed; in
// production, and in a simulation with buggify off, they cost a context
// lookup and never fire. [CrashPoint] marks a place where a crash of the
// process leaves the most to recover, and crashes it there now and then.
// The package imports only the standard library,
// the simulation's context key and a reader of the caller's return
// address, so production binaries may use it freely.
//
// # Configuration
//
// [Config] gathers the fault families: [Network] (latency, partitions,
// clogging, connection resets, partial I/O, bit flips, lost, duplicated
// and reordered datagrams), [Storage] (read and write corruption,
// misdirected and phantom writes, sync failures, torn writes, stalls,
// throttles, full disks, garbage in never-written sectors), [Attrition]
// (graceful reboots, crashes, wipes, power losses, kills, pauses) and [BuggifyConfig]. Every knob is a named field with a documented default,
// from FoundationDB's simulator, TigerBeetle's VOPR and Moonpool.
//
// The presets: [Defaults] (everything on but wipes and bit flips in TCP
// streams), [Harsh] (those too), [Off] (nothing fails) and [Random]
// (intensities drawn per seed); Config.Swarm switches a random
// half of the families off per seed, Attrition.Swarm draws a regime of
// reboots per seed (never, or only some kinds), and Config.SpikeProb
// pushes some seeds' clogs and partitions to extremes ([Network.Spike]).
// A simulation resolves the preset for
// each seed with [Config.ForSeed], drawing from the seed's stream in a
// documented order, so the configuration is part of what the seed decides.
//
// # Swarm over a workload's operations
//
// An [Alphabet] is a workload's kinds of operation with their weights;
// [Alphabet.Draw] gives each seed a [Mix], a random non-empty subset of
// them, so that some seeds only write and others only delete and read.
//
// # Names
//
// One word per idea, in every fault family: a probability's field ends in
// Prob (ClogProb, PhantomWriteProb, ActivationProb); a duration drawn
// between two bounds is a [Range] (ClogDuration, Attrition.DownFor,
// Storage.ReadLatency); a bound of a draw starts with Max (MaxClockSkew,
// Attrition.MaxDead); a Randomize field asks for intensities drawn per seed
// ([Config], [Network], [Storage]), and a Draw method makes the draw
// ([Network.Draw], [Storage.Draw]); the presets whose Randomize is set are
// named Random ([Random], [RandomNetwork], [RandomStorage]).
package chaos
